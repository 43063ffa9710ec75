"""Panel and query helpers for ``build.py`` (grafana-foundation-sdk builders with camfleet's defaults)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, common, stat, timeseries
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.models.common import BarGaugeDisplayMode, BigValueGraphMode, VizOrientation
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

DS = DataSourceRef(type_val="prometheus", uid="${datasource}")
TOWN = 'town=~"$town"'


def query(expr: str, legend: str = "", *, instant: bool = False, as_table: bool = False) -> prom.Dataquery:
    """A Prometheus query on the dashboard's data source."""
    q = prom.Dataquery().expr(expr).datasource(DS)
    if legend:
        q = q.legend_format(legend)
    if instant:
        q = q.instant()
    if as_table:
        q = q.format(PromQueryFormat.TABLE)
    return q


def target_steps(bad: str, good: str, target: float) -> db.ThresholdsConfig:
    """Red below ``target``, green from it on."""
    return (
        db.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=None, color=bad), Threshold(value=target, color=good)])
    )


def rate_stat(title: str, expr: str, target: float, description: str) -> stat.Panel:
    """A big KPI number as a percentage, red under its target."""
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .with_target(query(expr))
        .unit("percentunit")
        .decimals(1)
        .min(0)
        .max(1)
        .thresholds(target_steps("red", "green", target))
        .graph_mode(BigValueGraphMode.AREA)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
        .height(5)
        .span(6)
    )


def town_bars(title: str, expr: str, target: float) -> bargauge.Panel:
    """One horizontal bar per town."""
    return (
        bargauge.Panel()
        .title(title)
        .with_target(query(f"sort({expr})", "{{town}}", instant=True))
        .unit("percentunit")
        .min(0)
        .max(1)
        .thresholds(target_steps("red", "green", target))
        .display_mode(BarGaugeDisplayMode.GRADIENT)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
        .orientation(VizOrientation.HORIZONTAL)
        .height(14)
        .span(8)
    )


def status_bars(selector: str, *, height: int, span: int) -> bargauge.Panel:
    """Cameras by status, largest first, over the village series matching ``selector``."""
    return (
        bargauge.Panel()
        .title("摄像机状态 Cameras by status")
        .with_target(
            query(
                f"sort_desc(sum by (status) (camfleet_village_cameras{{{selector}}}) > 0)", "{{status}}", instant=True
            )
        )
        .display_mode(BarGaugeDisplayMode.BASIC)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
        .orientation(VizOrientation.HORIZONTAL)
        .height(height)
        .span(span)
    )


def graph(title: str, *targets: prom.Dataquery, unit: str = "short", span: int = 12) -> timeseries.Panel:
    """A time series panel."""
    panel = timeseries.Panel().title(title).unit(unit).height(8).span(span)
    for target in targets:
        panel = panel.with_target(target)
    return panel


def quantile(q: str, bucket: str, by: str) -> str:
    """``histogram_quantile`` of a bucket counter's rate, aggregated ``by`` (which must include ``le``)."""
    return f"histogram_quantile({q}, sum by ({by}) (rate({bucket}[$__rate_interval])))"


def variables(dash: db.Dashboard, *names: str) -> db.Dashboard:
    """The data source picker and chained town / village / camera selectors."""
    dash = dash.with_variable(db.DatasourceVariable("datasource").label("数据源 Data source").type("prometheus"))
    sources = {
        "town": ("镇街 Town", "label_values(camfleet_village_covered, town)"),
        "village": ("行政村 Village", 'label_values(camfleet_village_covered{town=~"$town"}, village)'),
        "camera": ("摄像机 Camera", 'label_values(camfleet_camera_info{town=~"$town", village=~"$village"}, camera)'),
    }
    for name in names:
        label, expr = sources[name]
        var = (
            db.QueryVariable(name)
            .label(label)
            .datasource(DS)
            .query(expr)
            .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
            .sort(VariableSort.ALPHABETICAL_ASC)
        )
        if name != "camera":
            var = var.multi(True).include_all(True).all_value(".*")
        dash = dash.with_variable(var)
    return dash
