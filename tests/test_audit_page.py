"""The audit page reads as Japanese for 情報政策課 staff: every action has a label, and the
details of each kind of record become sentences with names beside ids."""

from __future__ import annotations

from fitgap.domain.i18n import reset_language, set_language
from fitgap.domain.labels import AUDIT_ACTION_LABELS_JA, audit_action_label
from fitgap.store.audit import ACTIONS
from fitgap.web.presenters.audit import Names, record_lines, target_text

NAMES = Names(
    towns={"ishii": "石井町", "naka": "那賀町"},
    areas={"juki": "住民記録"},
    functions={"0010001": "転入者情報入力"},
)


def test_every_recorded_action_has_a_label() -> None:
    assert set(AUDIT_ACTION_LABELS_JA) == set(ACTIONS)
    assert audit_action_label("mark.changed") == "判定の変更"
    assert audit_action_label("something.new") == "something.new"  # never hidden


def test_targets_read_as_words_with_names() -> None:
    assert target_text("ishii/0010001", NAMES) == "石井町 / 0010001 転入者情報入力"
    assert target_text("account:tanaka", NAMES) == "アカウント tanaka"
    assert target_text("meeting:3", NAMES) == "会議 #3"
    assert target_text("decision:7", NAMES) == "決定 #7"
    assert target_text("ishii,naka", NAMES) == "石井町、那賀町"
    assert target_text("/srv/exports", NAMES) == "/srv/exports"
    assert target_text(None, NAMES) == ""


def test_a_mark_change_reads_as_before_and_after() -> None:
    details = {
        "town": "ishii",
        "function": "0010001",
        "before": "fit",
        "after": "customization",
        "note_changed": True,
        "cost_changed": False,
        "version": 2,
        "correction": True,
        "reason": "会議での決定を反映",
    }
    assert record_lines("mark.changed", details, NAMES) == [
        "判定：適合 → カスタマイズ",
        "備考を変更しました。",
        "進行役による訂正。理由：会議での決定を反映",
    ]
    first = {"before": None, "after": "fit", "note_changed": False, "cost_changed": False}
    assert record_lines("mark.changed", first, NAMES) == ["判定：未判定 → 適合"]


def test_a_decision_reads_with_the_function_name_and_each_town() -> None:
    details = {
        "meeting": 2,
        "function": "0010001",
        "outcome": "all_workflow_change",
        "marks": {
            "ishii": {"before": "customization", "after": "workflow_change", "version": 3},
            "naka": {"before": "workflow_change", "after": "workflow_change", "version": 1},
        },
        "supersedes": 4,
    }
    assert record_lines("decision.superseded", details, NAMES) == [
        "会議 #2",
        "機能：0010001 転入者情報入力",
        "決定：全町で業務見直し",
        "石井町：カスタマイズ → 業務見直し",
        "那賀町：業務見直し（変更なし）",
        "決定 #4 を置き換えました。",
    ]


def test_accounts_sign_in_and_files_read_as_sentences() -> None:
    updated = {"role": ["staff", "moderator"], "areas": [["juki"], []], "town_id": ["ishii", None]}
    assert record_lines("account.updated", updated, NAMES) == [
        "役割：職員 → 進行役",
        "担当業務：住民記録 → なし",
        "町：石井町 → なし",
    ]
    created = {"role": "observer", "town": None, "all_areas": True, "areas": [], "demo": True}
    assert record_lines("account.created", created, NAMES) == [
        "役割：閲覧者",
        "町：なし",
        "すべての業務：はい",
        "担当業務：なし",
        "デモ用のアカウント",
    ]
    assert record_lines("login.failed", {"reason": "locked"}, NAMES) == [
        "理由：ロック中のアカウント"
    ]
    imported = {"files": ["ishii.xlsx"], "area": "juki", "changed": 12}
    assert record_lines("marks.imported", imported, NAMES) == [
        "ファイル：ishii.xlsx",
        "業務：住民記録",
        "反映した判定 12 件",
    ]
    assert record_lines("meeting.created", {"area": "juki", "held_on": "2025-05-01"}, NAMES) == [
        "業務：住民記録",
        "開催日：令和7年5月1日",
    ]
    loaded = {
        "areas": {"added": 1},
        "functions": {"added": 3, "unchanged": 2},
        "towns": {},
        "changed_functions": 0,
    }
    assert record_lines("catalog.loaded", loaded, NAMES) == [
        "業務：追加 1 件",
        "機能：追加 3 件、変更なし 2 件",
        "町：変更なし",
    ]
    # A key fitgap has no sentence for is still shown, plainly.
    assert record_lines("test.event", {"k": 1}, NAMES) == ["k：1"]


def test_the_lines_follow_the_language() -> None:
    token = set_language("en")
    try:
        assert audit_action_label("mark.changed") == "Change mark"
        lines = record_lines("mark.changed", {"before": "fit", "after": "customization"}, NAMES)
        assert lines == ["Verdict: Fit → Customization"]
    finally:
        reset_language(token)
