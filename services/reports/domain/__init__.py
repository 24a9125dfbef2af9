"""Reporting rules as plain functions over plain data, one module per concern, so every
number on the dashboard can be checked without a database or a broker."""

from services.reports.domain.coverage import (  # noqa: F401
    FIELD_SLUGS,
    LEVELS,
    STATE,
    STATEWIDE_NOTE,
    Counts,
    Coverage,
    active_offers_per_district,
    arl_coverage,
    arl_rows,
    count_coverage,
    district_coverage,
    district_rows,
    state_coverage,
    state_rows,
    statewide_block,
)
from services.reports.domain.facts import (  # noqa: F401
    LOWER_SAXONY,
    NEW_OFFER_DAYS,
    PUBLISHED,
    Actor,
    Example,
    Facts,
    Offer,
    is_active,
    is_free,
    new_since,
    offer_status,
    year_start,
)
from services.reports.domain.gaps import (  # noqa: F401
    POPULATION_NOTE,
    POPULATION_NOTE_DE,
    WEAKEST_LIMIT,
    Gap,
    WeakDistrict,
    districts_without_offers,
    find_gaps,
    gaps_per_region,
    state_medians,
    weakest_districts,
)
from services.reports.domain.recognition import (  # noqa: F401
    INITIATIVE,
    THANK_YOU_LABELS,
    TOP_ACTORS,
    ActorInfo,
    Contribution,
    RecognisedActor,
    ThankYouTotals,
    most_active_actors,
    thank_you_totals,
)
from services.reports.domain.trends import (  # noqa: F401
    ALL_FIELDS,
    EXAMPLE,
    OFFER,
    TREND_MONTHS,
    MonthPoint,
    Transition,
    month_bounds,
    monthly_series,
)
