"""Demand forecasting (issue 11): the Django app (``models``, ``history``, ``runs``, ``views``)
around a pure engine (the modules below: no database, no Django).

Daily sales history and an event calendar in; day, ISO-week and month figures out, coherent
(days add up exactly to weeks and months), non-negative, with prediction intervals, the model
chosen per SKU and each event kind's learned uplift. The web pages, the forecast jobs and
``omnioms forecast series`` all call the same functions:

- :func:`omnioms.forecasting.engine.forecast` → :class:`~omnioms.forecasting.engine.Forecast`
- :func:`omnioms.forecasting.blend.blend` — the sales team's figures (replace, add, weighted)
- :mod:`omnioms.forecasting.accuracy` — WAPE, bias, MASE, RMSSE, forecast value added
- :mod:`omnioms.forecasting.calendar` — :class:`Event`, :class:`Horizon`
- :mod:`omnioms.forecasting.methods` — the month models and their choice per SKU
- :mod:`omnioms.forecasting.cli` — ``omnioms forecast series`` (registered by ``omnioms.cli``)

The method and its figures: ``docs/forecasting.md``. Importing this package (or its ``cli``)
loads nothing heavy, so ``omnioms`` starts fast; the engine loads numpy and pandas, and
statsforecast when it first fits a model. Nothing here needs Django or a database.
"""
