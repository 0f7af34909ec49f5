"""Words the forecasting pages share with other pages but mean otherwise there read right in
Chinese (the catalogue as a whole is checked by ``scripts/check_messages.py``)."""

from __future__ import annotations

from django.utils import translation


def test_the_final_forecast_is_not_the_final_stage_of_a_flow() -> None:
    with translation.override("zh-hans"):
        assert translation.pgettext("forecast", "Final") == "最终"  # the forecast after blending
        assert translation.gettext("Final") == "终结"  # a flow's stage that ends the order


def test_a_forecast_lag_is_not_a_channel_sync_delay() -> None:
    with translation.override("zh-hans"):
        # periods between a forecast and the period it is for
        assert translation.pgettext("forecast", "Lag") == "滞后期"
        assert translation.gettext("Lag") == "延迟"  # the channel health page's sync lag
