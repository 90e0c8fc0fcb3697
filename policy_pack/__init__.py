"""The preventive policy pack: the governance checks run by ``pulumi preview --policy-pack policy_pack``."""
