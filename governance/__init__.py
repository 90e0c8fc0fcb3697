"""Read the deployed state and judge it against the retention policy, for CI and for auditors.

Nothing in this package imports Pulumi, and nothing in it writes to the account it verifies.
"""

__version__ = "0.1.0"
