"""The demo company behind ``omnioms demo``: Hangzhou Qinghe Apparel and six months of orders.

:mod:`omnioms.demo.catalog` holds its products, :mod:`omnioms.demo.generators` builds the
platform payloads (pure, seeded) and :mod:`omnioms.demo.loader` feeds them through the real
intake.
"""
