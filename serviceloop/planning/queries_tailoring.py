"""Reading the tailoring: the setting row, which modules are switched off, and the navigation
filter that hides the entries of switched-off modules.

Which module a navigation entry belongs to: its own ``module`` if it names one, else the
map below by URL name (so the other apps' navigation files need no change), else the prefix
of its URL name (``capacity_plan_list`` → capacity). An entry of no module is always shown.

The pages of a switched-off module answer 404 (``page_switched_off``, the page gate core's
``ModuleGateMiddleware`` asks): a page's module is its URL name's in the map below, else the
module whose URL path it lies under (``PAGE_PATHS``, longest first; ``API_PATHS`` for
``/api/v1/<prefix>/``). A page of no module (the tailoring screen, the catalogue, agreements,
the management system) always opens.

The set of switched-off modules is read on every page, so it is cached (Django's cache: one
Redis for every process in production): a page costs no query for it. The services that
change it drop the cached copy (at once and again after commit); a sign-in reads it afresh.
"""

from django.core.cache import cache

from serviceloop.planning.models import KPI_CATALOGUE, PROFILES, Module, TailoringSetting

CACHE_KEY = "planning:tailoring:disabled-modules"
CACHE_SECONDS = 300  # a safety net only: every change drops the cached copy

M = Module
URL_MODULES: dict[str, str] = {
    "desk_queue": M.DESK,
    "portal_home": M.DESK,
    "problem_list": M.PROBLEMS,
    "change_list": M.CHANGES,
    "change_calendar": M.CHANGES,
    "planned_changes": M.CHANGES,
    "release_list": M.RELEASES,
    "ci_list": M.CMDB,
    "asset_list": M.ASSETS,
    "supplier_list": M.SUPPLIERS,
    "knowledge_list": M.KNOWLEDGE,
    "portal_knowledge": M.KNOWLEDGE,
    "complaint_list": M.COMPLAINTS,
    "survey_list": M.SURVEYS,
    "ticket_problem_link": M.PROBLEMS,  # desk/tickets/<ref>/problem/: the problem side
    "incident_changes": M.CHANGES,
}
# The pages of each module by URL path (a prefix of ``request.path_info``); the longest
# prefix that matches decides (desk/problems/ is problem management, desk/ the desk).
PAGE_PATHS: dict[str, str] = {
    "/desk/problems/": M.PROBLEMS,
    "/desk/problem-proposals/": M.PROBLEMS,
    "/desk/known-errors/": M.PROBLEMS,
    "/desk/": M.DESK,
    "/portal/new/": M.DESK,
    "/portal/requests/": M.DESK,
    "/portal/knowledge/": M.KNOWLEDGE,
    "/changes/": M.CHANGES,
    "/releases/": M.RELEASES,
    "/cmdb/": M.CMDB,
    "/assets/": M.ASSETS,
    "/capacity/": M.CAPACITY,
    "/budgets/": M.BUDGET,
    "/availability/": M.AVAILABILITY,
    "/continuity/": M.CONTINUITY,
    "/security/": M.SECURITY,
    "/suppliers/": M.SUPPLIERS,
    "/knowledge/": M.KNOWLEDGE,
    "/complaints/": M.COMPLAINTS,
    "/customers/surveys/": M.SURVEYS,
}
# The REST API's resources of each module: the first path segment after /api/v1/.
API_PATHS: dict[str, str] = {
    "tickets": M.DESK,
    "intake": M.DESK,
    "problems": M.PROBLEMS,
    "changes": M.CHANGES,
    "change-templates": M.CHANGES,
    "cab-rules": M.CHANGES,
    "blackout-periods": M.CHANGES,
    "releases": M.RELEASES,
    "configuration-items": M.CMDB,
    "ci-types": M.CMDB,
    "ci-relations": M.CMDB,
    "impact": M.CMDB,
    "assets": M.ASSETS,
    "capacity-plans": M.CAPACITY,
    "capacity-measurements": M.CAPACITY,
    "budgets": M.BUDGET,
    "budget-variance": M.BUDGET,
    "cost-lines": M.BUDGET,
    "cost-allocation": M.BUDGET,
    "availability": M.AVAILABILITY,
    "availability-targets": M.AVAILABILITY,
    "outages": M.AVAILABILITY,
    "spof-findings": M.AVAILABILITY,
    "continuity-plans": M.CONTINUITY,
    "continuity-tests": M.CONTINUITY,
    "continuity-issues": M.CONTINUITY,
    "continuity-invocations": M.CONTINUITY,
    "security-controls": M.SECURITY,
    "security-incidents": M.SECURITY,
    "security-risks": M.SECURITY,
    "suppliers": M.SUPPLIERS,
    "supplier-contacts": M.SUPPLIERS,
    "supplier-contracts": M.SUPPLIERS,
    "supplier-disputes": M.SUPPLIERS,
    "supplier-obligations": M.SUPPLIERS,
    "supplier-reviews": M.SUPPLIERS,
    "supplier-tickets": M.SUPPLIERS,
    "knowledge": M.KNOWLEDGE,
    "complaints": M.COMPLAINTS,
    "customer-surveys": M.SURVEYS,
    "customer-survey-responses": M.SURVEYS,
}
API_PREFIX = "/api/v1/"
_PATHS_LONGEST_FIRST = sorted(PAGE_PATHS.items(), key=lambda item: -len(item[0]))
URL_PREFIXES: dict[str, str] = {
    "desk_": M.DESK,
    "problem_": M.PROBLEMS,
    "change_": M.CHANGES,
    "release_": M.RELEASES,
    "ci_": M.CMDB,
    "asset_": M.ASSETS,
    "capacity_": M.CAPACITY,
    "budget_": M.BUDGET,
    "availability_": M.AVAILABILITY,
    "outage_": M.AVAILABILITY,
    "continuity_": M.CONTINUITY,
    "security_": M.SECURITY,
    "supplier_": M.SUPPLIERS,
    "knowledge_": M.KNOWLEDGE,
    "complaint_": M.COMPLAINTS,
    "survey_": M.SURVEYS,
}


def tailoring_setting() -> TailoringSetting:
    """The setting row (an unsaved default one before anything was tailored)."""
    return TailoringSetting.objects.filter(pk=1).first() or TailoringSetting(pk=1)


def disabled_modules(*, fresh: bool = False) -> frozenset[str]:
    """The modules switched off (cached; ``fresh`` reads the database and refills it)."""
    cached = None if fresh else cache.get(CACHE_KEY)
    if cached is None:
        row = TailoringSetting.objects.filter(pk=1).values_list("disabled_modules", flat=True)
        cached = frozenset(row.first() or ())
        cache.set(CACHE_KEY, cached, CACHE_SECONDS)
    return cached


def forget_disabled_modules() -> None:
    cache.delete(CACHE_KEY)


def module_enabled(module: str) -> bool:
    return module not in disabled_modules()


def module_of(entry) -> str:
    """The module a navigation entry belongs to ("" for none)."""
    if getattr(entry, "module", ""):
        return entry.module
    if entry.url_name in URL_MODULES:
        return URL_MODULES[entry.url_name]
    for prefix, module in URL_PREFIXES.items():
        if entry.url_name.startswith(prefix):
            return module
    return ""


def module_of_page(path: str, url_name: str = "") -> str:
    """The module a page belongs to, from its URL name and path ("" for none)."""
    if url_name in URL_MODULES:
        return URL_MODULES[url_name]
    if path.startswith(API_PREFIX):
        return API_PATHS.get(path[len(API_PREFIX) :].split("/", 1)[0], "")
    if path in ("/portal/", "/portal"):
        return M.DESK  # the customer's ticket list
    for prefix, module in _PATHS_LONGEST_FIRST:
        if path.startswith(prefix):
            return module
    return ""


def page_switched_off(request) -> bool:
    """The page gate (``core.navigation.register_page_gate``): whether the requested page
    belongs to a module switched off. No query on a normal page (the cached switches)."""
    off = disabled_modules()
    if not off:
        return False
    match = getattr(request, "resolver_match", None)
    module = module_of_page(request.path_info, match.url_name if match else "")
    return bool(module) and module in off


def hide_switched_off_modules(user, entries):
    """The navigation filter (``core.navigation.register_filter``)."""
    off = disabled_modules()
    if not off:
        return entries
    return [entry for entry in entries if module_of(entry) not in off]


def refresh_on_sign_in(sender, user=None, **kwargs) -> None:
    """``user_logged_in`` receiver: read the switches afresh, so the pages that follow find
    them in the cache (no query of their own) and a stale copy never outlives a sign-in."""
    disabled_modules(fresh=True)


def module_rows(setting: TailoringSetting) -> list[dict]:
    """Every module with its switch and the reason it is off, for the screen and exports."""
    reasons = setting.module_reasons or {}
    return [
        {
            "code": code,
            "label": label,
            "enabled": setting.module_enabled(code),
            "reason": "" if setting.module_enabled(code) else reasons.get(code, ""),
        }
        for code, label in Module.choices
    ]


def kpi_rows(setting: TailoringSetting) -> list[dict]:
    chosen = set(setting.kpi_codes or [])
    return [
        {
            "code": code,
            "label": label,
            "module": module,
            "chosen": code in chosen,
            "module_on": not module or setting.module_enabled(module),
        }
        for code, (label, module) in KPI_CATALOGUE.items()
    ]


def profile_cards() -> list[dict]:
    from serviceloop.planning.models import WIDGET_CATALOGUE, Profile

    cards = []
    for code, label in Profile.choices:
        spec = PROFILES[code]
        cards.append(
            {
                "code": code,
                "label": label,
                "emphasis": spec.emphasis,
                "switched_off": [Module(m).label for m in spec.switched_off],
                "kpis": [KPI_CATALOGUE[k][0] for k in spec.kpis],
                "widgets": [WIDGET_CATALOGUE[w][0] for w in spec.widgets],
            }
        )
    return cards
