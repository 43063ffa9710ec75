"""Panel and query helpers for ``build.py`` (grafana-foundation-sdk builders with camfleet's defaults)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, common, stat, timeseries
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.models.common import BarGaugeDisplayMode, BigValueGraphMode, VizOrientation
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

DS = DataSourceRef(type_val="prometheus", uid="${datasource}")
TOWN = 'town=~"$town"'

#: The drill-down, district → town and village → camera: each panel links one level down (a camera's panels one level
#: up), carrying the chosen places and time range in the URL; a table row or bar links to its own place.
TIME = "${__url_time_range}"
TOWN_VIEW = "/d/camfleet-village/?${town:queryparam}&" + TIME
VILLAGE_VIEW = "/d/camfleet-village/?${town:queryparam}&${village:queryparam}&" + TIME
CAMERA_VIEW = "/d/camfleet-camera/?${town:queryparam}&${village:queryparam}&" + TIME
#: camfleet's web address as the browser reaches it (a text box on the dashboards that link to camfleet itself)
CAMFLEET_URL = "http://127.0.0.1:9870"


def link(title: str, url: str) -> db.DashboardLink:
    """A panel link or a data link (Grafana expands the variables in ``url``)."""
    return db.DashboardLink(title).type(DashboardLinkType.LINK).url(url)


def to_town(field: str = "${__data.fields.town}") -> db.DashboardLink:
    """A data link from a row or bar naming a town to the Town and village view of that town."""
    return link("镇街详情 Town view", f"/d/camfleet-village/?var-town={field}&" + TIME)


def to_village() -> db.DashboardLink:
    """A data link from a table row naming a town and village to that village's view."""
    return link(
        "行政村 Village",
        "/d/camfleet-village/?var-town=${__data.fields.town}&var-village=${__data.fields.village}&" + TIME,
    )


def to_camera() -> db.DashboardLink:
    """A data link from a table row naming a camera to the Camera detail view of that camera."""
    return link(
        "摄像机 Camera",
        "/d/camfleet-camera/?var-town=${__data.fields.town}&var-village=${__data.fields.village}"
        "&var-camera=${__data.fields.camera}&" + TIME,
    )


def runbook(anchor: str = "") -> db.DashboardLink:
    """A link to camfleet's runbook (a section of it), served by camfleet itself."""
    return link("处置手册 Runbook", "${camfleet_url}/runbook" + (f"#{anchor}" if anchor else ""))


def camfleet_url(dash: db.Dashboard) -> db.Dashboard:
    """The text box holding camfleet's web address (evidence pictures, the runbook)."""
    return dash.with_variable(
        db.TextBoxVariable("camfleet_url").label("camfleet 地址 camfleet URL").default_value(CAMFLEET_URL)
    )


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
    """One horizontal bar per town, each linking to its town's view."""
    return (
        bargauge.Panel()
        .title(title)
        .data_links([to_town("${__field.labels.town}")])
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


def graph(
    title: str,
    *targets: prom.Dataquery,
    unit: str = "short",
    span: int = 12,
    links: list[db.DashboardLink] | None = None,
) -> timeseries.Panel:
    """A time series panel (``links``: its own panel links; without, the dashboard's default)."""
    panel = timeseries.Panel().title(title).unit(unit).height(8).span(span)
    if links:
        panel = panel.links(links)
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
