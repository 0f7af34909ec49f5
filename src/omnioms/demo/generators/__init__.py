"""Channel generators: pure functions from a seeded ``random.Random`` to platform payloads.

Each module builds its platform's payloads exactly as that platform (or the relay in front of
it) sends them, signs them with the account's secret, and returns them as
:class:`~omnioms.demo.generators.common.Webhook` deliveries or
:class:`~omnioms.demo.generators.common.FileExport` files. Nothing here touches the database:
the same seed, time span and ``now`` always give the same bytes.
"""
