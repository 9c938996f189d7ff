"""Applying an edited, replaced or deleted policy.yaml to the running daemon (SPEC §2.6, §2.7).

A valid file is installed in the PolicyActor for the next decision (a new version gets its
`policy_versions` row); an invalid one keeps the policy in force and records nothing (logged, fail
closed); a missing one denies everything until a valid file is back. A change of version is audited.
"""

from goclaw_actors.errors import PolicyError
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.policy.policy_reload import DENY_ALL, current_policy_file
from supervisors.runtime import Runtime

POLICY_FILE = "policy.yaml"
RELOAD_ACTION = "policy.reload"  # audit action of a change of policy
ASK_SECONDS = 5.0

log = get_logger("policy")


def reload_policy(rt: Runtime) -> bool:
    """Read policy.yaml again and install what it says now; True when the policy version changed."""
    try:
        policy, source = current_policy_file(rt.home / POLICY_FILE)
    except (PolicyError, OSError, ValueError) as exc:
        log.warn("policy.yaml not applied; the policy in force stays", policy_version=rt.current_policy().version,
                 error=str(exc))
        return False
    proxy = rt.registry.proxy("policy")
    previous = proxy.version().get(timeout=ASK_SECONDS)
    proxy.replace(policy, source).get(timeout=ASK_SECONDS)
    rt.policy, rt.policy_source = policy, source  # what a restarted PolicyActor starts with
    for warning in policy.warnings:
        log.warn(warning)
    if policy.version == previous:
        return False
    if policy is DENY_ALL:
        log.warn("policy.yaml is missing; everything is denied until it is back", policy_version=policy.version)
        rt.audit_decision("deny", RELOAD_ACTION, "policy_missing", subject=source)
    else:
        log.info("policy reloaded", policy_version=policy.version, previous_version=previous)
        rt.audit_decision("allow", RELOAD_ACTION, "policy_reloaded", subject=source)
    return True
