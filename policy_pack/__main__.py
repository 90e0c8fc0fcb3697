"""Entry point of the policy pack: ``pulumi preview --policy-pack policy_pack``.

The pack reuses the project's own ``lifecycle`` and ``governance`` packages, so that no rule is
written twice. Pulumi runs a policy pack from its own folder, where those packages are not
importable, hence the project directory (this folder's parent) is put first on ``sys.path``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from policy_pack.policies import PACK_NAME, make_policies

PolicyPack(PACK_NAME, policies=make_policies())
