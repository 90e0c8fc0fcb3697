"""The analytics findings as data: stable id, severity, rules, the permissions each needs."""

from __future__ import annotations

from governance.model import CheckMeta, Severity

ANALYSIS_READ = ("s3:ListBucket", "s3:GetObject (analysis files, and kms:Decrypt on the purpose's key)")
"""Reading content, unlike the auditor role's configuration reads: the purpose's reader role runs this audit."""

READABLE = CheckMeta(
    "RG-ANALYTICS-READABLE", "Every analysis file is a readable speech-analytics output", Severity.MEDIUM,
    ("R9", "R11"), ANALYSIS_READ,
    "Find what wrote the file (a truncated upload, another tool's output under the analysis prefix) and fix or "
    "remove it; until then what it scores is unknown.",
    "Each analysis file is JSON with a `Participants` list; one that is not, or cannot be fetched, is an error "
    "naming the file (never a pass), and the other files are still judged.",
)
DECLARED = CheckMeta(
    "RG-ANALYTICS-DECLARED", "No analysis output exists where the policy declares no analytics", Severity.HIGH,
    ("R9", "R11"), ANALYSIS_READ,
    "Declare the processing under the purpose's `analytics:` (and in the register), or turn the analytics off "
    "and erase its output.",
    "A purpose without an `analytics:` declaration holds no analysis files: scoring calls nobody declared is "
    "processing missing from the record of processing.",
)
AGENT_SCORES = CheckMeta(
    "RG-ANALYTICS-AGENT", "No agent is scored beyond what the declaration allows", Severity.HIGH,
    ("R11",), ANALYSIS_READ,
    "Stop scoring agents (Contact Lens: no agent sentiment, no voice analytics on the agent's channel) and erase "
    "the scores; agent sentiment is allowed only with `agentUse: training-only`, emotion from the voice never.",
    "No contact's analysis scores the agent's sentiment unless the purpose declares agent sentiment for the "
    "agent's own training, and none measures the agent's voice (`LoudnessScore`): inferring employees' emotions "
    "at work is prohibited. The contact ids are listed.",
)
AGENT_TRAINING = CheckMeta(
    "RG-ANALYTICS-AGENT-TRAINING", "Agent scores kept for the agent's own training (register)", Severity.LOW,
    ("R11",), ANALYSIS_READ,
    "Keep the condition: the scores serve the agent's own training only, never HR, assessment or promotion.",
    "Informational: where the purpose declares agent sentiment with `agentUse: training-only`, how many contacts "
    "score the agent, with the condition the declaration rests on repeated.",
)
CUSTOMER_SCORES = CheckMeta(
    "RG-ANALYTICS-CUSTOMER", "No customer is scored without a declaration", Severity.HIGH,
    ("R9", "R14"), ANALYSIS_READ,
    "Declare customer sentiment (`sentiment: [customer]`) or emotion from the voice (`emotionFromVoice: "
    "[customer]` with `customerNotice: true`) and tell callers, or stop scoring them.",
    "A customer's sentiment is scored only where the purpose declares it, and a customer's voice is measured "
    "only where it declares emotion from the voice with the notice callers are owed.",
)
REDACTION = CheckMeta(
    "RG-ANALYTICS-REDACTION", "Every analysed contact has its redacted analysis", Severity.MEDIUM,
    ("R9", "R10"), ANALYSIS_READ,
    "Turn on redaction for the analytics (Contact Lens: redacted output) or correct the declaration; "
    "unredacted transcripts are what readers then see.",
    "Where the purpose declares `redaction: true`, every contact with an analysis file also has a redacted one "
    "(the layout's redacted kind, or `ContentMetadata.Output: Redacted`).",
)

ANALYTICS_CHECKS = (READABLE, DECLARED, AGENT_SCORES, AGENT_TRAINING, CUSTOMER_SCORES, REDACTION)
"""Every analytics finding, in report order."""
