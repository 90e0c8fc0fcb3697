"""Data-subject requests and disputes over stored recordings: find, export, erase, hold, with receipts."""
