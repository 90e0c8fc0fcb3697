"""Retention policy, legal limits and the desired infrastructure for governed recording storage.

The pure modules (``legal``, ``policy``, ``loader``, ``retention``, ``render``) import neither boto3
nor Pulumi; only ``components`` imports Pulumi.
"""
