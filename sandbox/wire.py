"""Pulumi's wire format to the AWS API's shape: moved to :mod:`lifecycle.wire`, re-exported here.

The preventive policy pack translates planned resources with the same functions, so they live
beside the rest of the one translation; the sandbox keeps importing them from here.
"""

from __future__ import annotations

from lifecycle.wire import ACRONYMS, api_key, api_value, tag_list

__all__ = ["ACRONYMS", "api_key", "api_value", "tag_list"]
