"""The attribute -> musicnn tag table of the heard metrics: :mod:`vmb.listen.tagmap`.

The table is written once, in the shared module :mod:`vmb.listen.tagmap`, because the library's
auto-tagging (the retrieve stage) reads it too and a stage may not import another stage. This
module names it for the evaluation, so ``vmb.evaluate`` reads its table where it always did.
"""

from vmb.listen.tagmap import (
    ATTRIBUTES,
    ENERGY_TAGS,
    MODEL_PREFIX,
    PROXIES,
    TAG_MAP,
    attribute_tags,
    missing_tags,
    parse_tag,
    value_columns,
)

__all__ = ["ATTRIBUTES", "ENERGY_TAGS", "MODEL_PREFIX", "PROXIES", "TAG_MAP", "attribute_tags", "missing_tags",
           "parse_tag", "value_columns"]
