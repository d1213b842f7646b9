"""Emission factors as versioned data: bundled TOML sets (``sets/<id>.toml``) or a user's own file.

    fs = load_factor_set("cn-mee-2023")          # or a Path to a user's .toml
    fs.get("grid.national_average").value         # Decimal("0.5306"), with unit/source/year
    fs.label                                      # "cn-mee-2023@1.0": name it in every result
    combustion(fs, "raw_coal").formula()          # the arithmetic, written out, exact
    print(compare_table(load_factor_set("cn-mee-2022"), fs))

See :mod:`ledger.factors.factor_set` for the file format, :mod:`ledger.factors.units` for the
units each factor may be written in, :mod:`ledger.factors.derived` for the exact derived factors
and rounding, :mod:`ledger.factors.arithmetic` for activity × factor as the inventory does it (not
imported here: it writes its arithmetic with :mod:`ledger.numbers`), and
:mod:`ledger.factors.compare` for side-by-side comparison.
"""

from .compare import FactorDiff, compare, compare_table
from .derived import (
    CO2_PER_C,
    DEFAULT_PLACES,
    Derived,
    FactorUnitError,
    combustion,
    combustion_factor,
    fuels,
    round_half_even,
    standard_coal,
    standard_coal_factor,
    steam,
    steam_factor,
)
from .factor_set import (
    NAMESPACES,
    Factor,
    FactorSet,
    FactorSetError,
    MissingFactor,
    bundled_factor_set,
    bundled_factor_sets,
    bundled_versions,
    load_factor_set,
    loads_factor_set,
)

__all__ = [
    "CO2_PER_C",
    "DEFAULT_PLACES",
    "NAMESPACES",
    "Derived",
    "Factor",
    "FactorDiff",
    "FactorSet",
    "FactorSetError",
    "FactorUnitError",
    "MissingFactor",
    "bundled_factor_set",
    "bundled_factor_sets",
    "bundled_versions",
    "combustion",
    "combustion_factor",
    "compare",
    "compare_table",
    "fuels",
    "load_factor_set",
    "loads_factor_set",
    "round_half_even",
    "standard_coal",
    "standard_coal_factor",
    "steam",
    "steam_factor",
]
