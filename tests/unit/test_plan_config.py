"""Plan definitions (SPEC §7.4): valid plans kept in order, invalid ones skipped with a reason."""

from goclaw_actors.plans.plan_config import load_plans


def step(step_id, agent="default", depends=()):
    return {"id": step_id, "agent_id": agent, "prompt": f"do {step_id}", "depends_on": list(depends)}


def test_valid_plans_keep_config_order_and_agent_order():
    plans, warnings = load_plans([
        {"name": "b", "steps": [step("x", "coder"), step("y", "default", ["x"]), step("z", "coder", ["x", "y"])]},
        {"name": "a", "steps": [step("only")]},
    ], ["default", "coder"])
    assert warnings == []
    assert [(p.name, len(p.steps), p.agent_ids) for p in plans] == [("b", 3, ["coder", "default"]), ("a", 1, ["default"])]
    assert plans[0].steps[2].depends_on == ("x", "y")


def test_invalid_plans_are_skipped_with_a_reason():
    entries = [
        {"name": "empty", "steps": []},
        {"name": "dup", "steps": [step("x"), step("x")]},
        {"name": "agent", "steps": [step("x", "ghost")]},
        {"name": "dep", "steps": [step("x", depends=["nope"])]},
        {"name": "cycle", "steps": [step("x", depends=["z"]), step("y", depends=["x"]), step("z", depends=["y"])]},
        {"steps": [step("x")]},
        {"name": "ok", "steps": [step("x")]},
        {"name": "ok", "steps": [step("y")]},
    ]
    plans, warnings = load_plans(entries, ["default"])
    assert [p.name for p in plans] == ["ok"] and plans[0].steps[0].id == "x"
    assert warnings == [
        'plans[0] skipped: plan "empty" has no steps',
        'plans[1] skipped: plan "dup": duplicate step id "x"',
        'plans[2] skipped: plan "agent": step "x" uses unknown agent "ghost"',
        'plans[3] skipped: plan "dep": step "x" depends on unknown step "nope"',
        'plans[4] skipped: plan "cycle": dependency cycle among x, y, z',
        "plans[5] skipped: a plan needs a name",
        'plans[7] skipped: duplicate plan name "ok"',
    ]


def test_plans_that_are_not_a_list_give_nothing():
    assert load_plans(None, ["default"]) == ([], [])
