from tests.support import Platform


def test_report_to_decision(plat: Platform) -> None:
    plat.account("creator1", followers=100)
    plat.subject("v1", views=1000)
    receipt = plat.report("u1", "v1", "harassment", text="mean")
    case_id = receipt["case_id"]
    queue = plat.as_("mod1", "GET", "/v1/queue")
    assert [c["id"] for c in queue] == [case_id]
    plat.claim("mod1", case_id)
    decision = plat.decide("mod1", case_id, outcome="violation", action="remove", rule="harassment",
                           statement="Targets a private person with insults.")
    kinds = sorted(a["kind"] for a in decision["actions"])
    assert kinds == ["remove", "warn"]
