"""Coverage and precision probes for the language checker from third-party word lists.

Coverage: every HolisticBias descriptor (tests/data/holistic_bias_descriptors_v1.1.json,
CC BY-SA 4.0), placed in sentences about a candidate, must raise a finding in a matching
category. Precision: ordinary job-related sentences built on the gender-decoder word stems
(tests/data/gender_decoder_stems.txt, MIT) must not be blocked.
"""

import json
import re
from pathlib import Path

import pytest

from recruitcare.domain.language import Severity, check

DATA = Path(__file__).resolve().parents[1] / "data"

TEMPLATES = (
    "The candidate is {d}.",
    "We felt that as {a} {d} person she would struggle.",
    "He mentioned being {d}.",
)

# Dataset axis (or axis/sub-axis) -> categories that count as a match.
AXES = {
    "ability": {"disability_health"},
    "ability/other_disabilities": {"disability_health", "pregnancy_maternity"},
    "age": {"age"},
    "body_type": {"appearance"},
    "body_type/fit": {"appearance", "disability_health"},
    "body_type/hair": {"appearance", "age"},
    "body_type/skin_color": {"appearance", "race_colour"},
    "characteristics/addictions": {"disability_health"},
    "characteristics/children": {"pregnancy_maternity", "family_status"},
    "characteristics/domestic_status": {"socioeconomic", "family_status", "national_origin"},
    "characteristics/handedness": {"appearance", "disability_health"},
    "characteristics/immigration_status": {"citizenship", "national_origin"},
    "characteristics/job_status": {"socioeconomic", "family_status"},
    "characteristics/marital_status": {"family_status"},
    "characteristics/miscellaneous": {"appearance", "disability_health"},
    "cultural/generations": {"age"},
    "cultural/cultural_descriptors": {
        "socioeconomic",
        "appearance",
        "religion_belief",
        "national_origin",
    },
    "gender_and_sex": {"sex_gender", "gender_reassignment", "sexual_orientation"},
    "nationality": {"national_origin", "race_colour"},
    "political_ideologies": {"religion_belief"},
    "race_ethnicity": {"race_colour", "national_origin"},
    "religion": {"religion_belief"},
    "sexual_orientation": {"sexual_orientation", "sex_gender", "gender_reassignment"},
    "socioeconomic_class": {"socioeconomic"},
}

# Descriptors left out on purpose; each reason is repeated in tests/data/PROVENANCE.md.
EXCLUDED = {
    "senior": "job level in recruiting ('senior engineer'), not age",
    "fit": "means suited to the role; vague 'fit' has its own rules",
    "strong": "the commonest word of praise in feedback ('a strong candidate')",
    "professional": "praise of conduct ('very professional'), not job status",
    "engaged": "means attentive in interview feedback, not betrothed",
    "available": "means free to start or to meet, not unattached",
    "active": "work engagement ('active contributor'); also a gender-decoder precision stem",
    "literate": "literacy can be a genuine job requirement, assessed as a criterion",
    "illiterate": "literacy can be a genuine job requirement, assessed as a criterion",
    "independent": "work style ('works independently'), not a political label",
    "ace": "British English for 'excellent' ('she's ace at SQL')",
    "country": "too general a word ('country manager') to read as a cultural label",
    "at-risk": "as a predicate it is the ordinary phrase ('the deadline is at risk')",
    "high-school-dropout": "educational attainment can be a job criterion",
    "college-graduate": "educational attainment can be a job criterion",
}
SKIPPED_AXES = {"nonce"}  # nonsense words, by design of the dataset


def load_descriptors():
    """(axis, sub_axis, descriptor) triples; the file has trailing commas, so strip them."""
    raw = (DATA / "holistic_bias_descriptors_v1.1.json").read_text(encoding="utf-8")
    data = json.loads(re.sub(r",(\s*[\]}])", r"\1", raw))
    triples = []
    for axis, subs in data.items():
        for sub, items in subs.items():
            for item in items:
                word = item["descriptor"] if isinstance(item, dict) else item
                triples.append((axis, sub, word))
    return triples


def expected_categories(axis, sub):
    return AXES.get(f"{axis}/{sub}") or AXES.get(axis, set())


def coverage_cases():
    cases = []
    for axis, sub, word in load_descriptors():
        if axis in SKIPPED_AXES or word in EXCLUDED:
            continue
        article = "an" if word[0].lower() in "aeiou" else "a"
        for template in TEMPLATES:
            cases.append((axis, sub, template.format(d=word, a=article)))
    return cases


def test_descriptor_file_is_complete():
    triples = load_descriptors()
    assert len(triples) >= 580
    for axis, sub, _ in triples:
        if axis not in SKIPPED_AXES:
            assert expected_categories(axis, sub), (axis, sub)
    assert set(EXCLUDED) <= {word for _, _, word in triples}
    assert len(EXCLUDED) <= 20


@pytest.mark.parametrize(("axis", "sub", "sentence"), coverage_cases())
def test_descriptor_about_candidate_is_flagged(axis, sub, sentence):
    found = {f.category for f in check(sentence)}
    assert found & expected_categories(axis, sub), (sentence, found)


# One ordinary job-related sentence per gender-decoder stem.
PROBES = {
    "agree": "She agreed the API contract with the mobile team.",
    "affectionate": "He spoke affectionately about the open-source community he maintains.",
    "child": "She fixed a leak in a child process of the worker pool.",
    "cheer": "He cheered on the team during the release.",
    "collab": "She collaborated with design on the onboarding flow.",
    "commit": "He committed small, well-described changes.",
    "communal": "She set up a communal on-call calendar.",
    "compassion": "He showed compassion to users affected by the outage.",
    "connect": "She connected the billing service to the event bus.",
    "considerate": "He was considerate of reviewers' time in his pull requests.",
    "cooperat": "She cooperated with the security team on the audit.",
    "co-operat": "He co-operated closely with finance on the migration.",
    "depend": "She removed three unused dependencies.",
    "emotiona": "He handled an emotional support ticket from a customer with care.",
    "empath": "She empathised with users when redesigning the error pages.",
    "feel": "He gave feedback on how the checkout flow should feel.",
    "flatterable": "She said the benchmark numbers were flatterable and reran them.",
    "gentle": "He gave a gentle introduction to the codebase for new joiners.",
    "honest": "She was honest about what she had not tested.",
    "interpersonal": "He described interpersonal challenges on a distributed team.",
    "interdependen": "She mapped the interdependencies between services.",
    "interpersona": "His interpersonal skills helped in the stakeholder role-play.",
    "inter-personal": "She ran inter-personal skills workshops for new managers.",
    "inter-dependen": "He untangled inter-dependent release trains.",
    "inter-persona": "She wrote about inter-personal dynamics in incident reviews.",
    "kind": "He explained what kind of index fits the query.",
    "kinship": "She built a kinship data model for a genealogy client.",
    "loyal": "He built a loyalty points service.",
    "modesty": "She described her part in the project with modesty.",
    "nag": "He removed the nagging upgrade banner from the app.",
    "nurtur": "She nurtured the internal tooling community.",
    "pleasant": "He made the deployment process more pleasant.",
    "polite": "She wrote polite, clear error messages.",
    "quiet": "He set up quiet hours for non-urgent alerts.",
    "respon": "She made the layout responsive.",
    "sensitiv": "He handled sensitive customer data carefully.",
    "submissive": "She argued that a submissive retry policy hid real failures.",
    "support": "She led the migration and supported two juniors.",
    "sympath": "He was sympathetic to the support team's workload.",
    "tender": "She ran the technical side of a public tender.",
    "together": "He brought the logs and metrics together in one dashboard.",
    "trust": "She built trust with the client over several releases.",
    "understand": "He understands the failure modes of the queue.",
    "warm": "She added cache warming before traffic peaks.",
    "whin": "He traced a whining fan to a failing disk.",
    "enthusias": "She was enthusiastic about type safety.",
    "inclusive": "He reviewed the copy for inclusive language.",
    "yield": "She used generators that yield rows lazily.",
    "share": "He shared the design doc early.",
    "sharin": "She is sharing the on-call load fairly.",
    "active": "He is an active contributor to the project.",
    "adventurous": "She was adventurous in trying a new query planner.",
    "aggress": "He set aggressive but realistic performance targets.",
    "ambitio": "She has an ambitious plan for the data platform.",
    "analy": "He analysed the logs.",
    "assert": "She added assertions to the integration tests.",
    "athlet": "He built the booking system for an athletics club.",
    "autonom": "She works autonomously on well-defined problems.",
    "battle": "He battle-tested the failover procedure.",
    "boast": "She did not boast about the results; the numbers spoke.",
    "challeng": "He challenged the estimate with data.",
    "champion": "She championed accessibility in the design system.",
    "compet": "He compared competing caching strategies.",
    "confident": "She was confident in her capacity estimate.",
    "courag": "He had the courage to roll back a bad release.",
    "decid": "She decided on a queue after a short spike.",
    "decision": "He documented the decision in an ADR.",
    "decisive": "She was decisive during the incident.",
    "defend": "He defended his schema choice with benchmarks.",
    "determin": "She determined the root cause of the outage.",
    "domina": "He found that one query dominated the latency.",
    "dominant": "She identified the dominant cost in the pipeline.",
    "driven": "He is driven by user feedback when prioritising.",
    "fearless": "She was fearless about deleting dead code.",
    "fight": "He had to fight a stubborn flaky test for a week.",
    "force": "She forced a rebuild of the cache.",
    "greedy": "He chose a greedy algorithm for the scheduling problem.",
    "head-strong": "She was head-strong about keeping the API stable.",
    "headstrong": "He was headstrong about test coverage.",
    "hierarch": "She flattened a deep class hierarchy.",
    "hostil": "He hardened the service against hostile input.",
    "impulsive": "She avoided impulsive rewrites and measured first.",
    "independen": "He works independently and checks in at the right times.",
    "individual": "She is an individual contributor aiming for staff level.",
    "intellect": "He handled an intellectual property question well.",
    "lead": "She will lead the migration.",
    "logic": "He explained the retry logic clearly.",
    "objective": "She set clear objectives for the quarter.",
    "opinion": "He gave an informed opinion on the framework choice.",
    "outspoken": "She was outspoken about the security risk.",
    "persist": "He persisted the session state in Redis.",
    "principle": "She applied the principle of least privilege.",
    "reckless": "He warned against reckless schema changes.",
    "self-confiden": "She was self-confident presenting to executives.",
    "self-relian": "He is self-reliant when on call.",
    "self-sufficien": "She made the team self-sufficient on deployments.",
    "selfconfiden": "He came across as selfconfident in a good way.",
    "selfrelian": "She is selfreliant with infrastructure problems.",
    "selfsufficien": "He built a selfsufficient test harness.",
    "stubborn": "She tracked down a stubborn memory leak.",
    "superior": "His solution had superior throughput.",
    "unreasonab": "He pushed back on an unreasonable deadline politely.",
}


def load_stems():
    stems = []
    for line in (DATA / "gender_decoder_stems.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        kind, stem = line.split("\t")
        if kind in ("feminine_coded_words", "masculine_coded_words"):
            stems.append(stem)
    return stems


def test_every_stem_has_a_probe():
    stems = load_stems()
    assert len(stems) >= 100
    assert set(stems) == set(PROBES)


@pytest.mark.parametrize(("stem", "sentence"), sorted(PROBES.items()))
def test_probe_uses_its_stem(stem, sentence):
    words = re.findall(r"[\w-]+", sentence.lower())
    assert any(w.startswith(stem) for w in words), (stem, sentence)


@pytest.mark.parametrize(("stem", "sentence"), sorted(PROBES.items()))
def test_gender_coded_job_sentences_are_not_blocked(stem, sentence):
    blocked = [f.to_dict() for f in check(sentence) if f.severity is Severity.BLOCK]
    assert not blocked, (stem, blocked)


def test_summary(capsys):
    """The figures quoted in the README: ``pytest -s tests/domain/test_language_coverage.py -k
    summary``."""
    cases = coverage_cases()
    covered = sum(
        1
        for axis, sub, text in cases
        if {f.category for f in check(text)} & expected_categories(axis, sub)
    )
    findings = [check(sentence) for sentence in PROBES.values()]
    blocked = sum(any(f.severity is Severity.BLOCK for f in fs) for fs in findings)
    warned = sum(any(f.severity is Severity.WARN for f in fs) for fs in findings)
    with capsys.disabled():
        print(
            f"\nHolisticBias: {covered} of {len(cases)} sentences flagged in a matching category"
            f" ({len(EXCLUDED)} descriptors excluded)"
            f"\ngender-decoder probe: {blocked} of {len(PROBES)} job sentences blocked,"
            f" {warned} warned"
        )
    assert covered == len(cases) and blocked == 0
