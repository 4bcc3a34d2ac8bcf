"""Report build benchmark: the Word builder alone at 1×, 10× and 100× Region Örebro län,
and the same 1× report through a real Celery worker against building it in-process.

    .venv/bin/python benches/report.py

Bounded (every child process has a time and memory limit, the worker is stopped at the end),
local only (SQLite and kombu's filesystem broker in a temporary folder; nothing listens on
the network). Prints a markdown section and writes it into docs/benchmarks.md between
``<!-- report:start -->`` and ``<!-- report:end -->``, leaving the rest of that file alone.

Speed is reported as ratios against a baseline measured in the same run: the 1× builder time
for part A, the direct (in-process) build for part B.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"
DOC = ROOT / "docs" / "benchmarks.md"
DATA_FILE = ROOT / "data" / "region-orebro-lan.yaml"
START, END = "<!-- report:start -->", "<!-- report:end -->"
COMMAND = ".venv/bin/python benches/report.py"

SCALES = (1, 10, 100)
RUNS = {1: 3, 10: 3, 100: 1}
BUILD_LIMIT_S = 360            # the 100× build may take ~6 minutes, no more
GENERATE_LIMIT_S = 180         # making the synthetic data for one size
MEMORY_LIMIT = 8 * 1024 ** 3   # ~8 GB resident: the child is killed above it
WORKER_JOBS = 3
DIRECT_RUNS = 3
JOB_LIMIT_S = 180

# --- the synthetic material (shared by part A's ReportData and part B's database rows) -----

# 13 sub-goals over the 8 focus areas: (action plan key, sub-goal key), keys of the YAML file.
SUB_GOAL_KEYS = (
    ("social-valfard", "d1"), ("social-valfard", "d2"), ("social-valfard", "d3"),
    ("social-valfard", "d4"), ("social-valfard", "d5"), ("social-valfard", "d7"),
    ("social-valfard", "d8"), ("sammanhallen-vard", "d1"), ("sammanhallen-vard", "d2"),
    ("jamlik-halsa", "skolan"), ("jamlik-halsa", "aldrande"), ("psykisk-halsa", "gron"),
    ("psykisk-halsa", "gul"),
)
ACTIVITIES_PER_ORGANISATION = 10
ANSWER_CHARS = 2000
REVIEWER = "Gustav Granskare"

ACTIVITY_NAMES = (
    "Brukarråd inom socialtjänsten", "Samordnad individuell plan", "Föräldrastöd i grupp",
    "Fältgruppen", "Mötesplats för äldre", "Digitalt stöd för anhöriga",
    "Våld i nära relationer – utbildning", "Motiverande samtal för personal",
    "Brukarrevision inom LSS", "Sommarlovsaktiviteter", "Språkombud i äldreomsorgen",
    "Arbetsmarknadstorget", "Elevhälsans tidiga insatser", "Hemsjukvård i samverkan",
    "Suicidprevention – handlingsplan", "Rehabiliteringsteam i hemmet",
    "Kompetenslyft för undersköterskor", "Öppen förskola", "Uppsökande verksamhet för unga",
    "Meningsfull sysselsättning",
)
UNITS = (
    "Socialförvaltningen", "Vård- och omsorgsförvaltningen", "Barn- och utbildningsförvaltningen",
    "Arbetsmarknadsenheten", "Kultur- och fritidsförvaltningen", "Individ- och familjeomsorgen",
    "Elevhälsan", "Länsdelsgruppens samordnare",
)
SENTENCES = (
    "Under året har {org} fortsatt arbetet med att stärka delaktigheten för brukare och närstående.",
    "Arbetet följs upp två gånger per år i den lokala styrgruppen, där även regionens vårdcentraler deltar.",
    "Pandemins efterverkningar har märkts, framför allt genom att fysiska träffar har fått ersättas av digitala möten.",
    "Personalen har fått utbildning i motiverande samtal och i att använda standardiserade bedömningsinstrument.",
    "Vi ser att fler ungdomar söker sig till verksamheten, särskilt under kvällar och helger.",
    "Samverkan med skolan och elevhälsan har utvecklats och sker nu enligt en gemensam rutin.",
    "En enkät till deltagarna visar att nio av tio är nöjda eller mycket nöjda med stödet.",
    "Det återstår arbete med att nå grupper som i dag inte tar del av insatserna, bland annat äldre utrikes födda.",
    "Kommunens budget för området har varit oförändrad, men ett statsbidrag har möjliggjort en förstärkning.",
    "Erfarenheterna sprids till övriga kommuner i länsdelen genom regelbundna nätverksträffar.",
    "Ett gemensamt underlag för uppföljning har tagits fram tillsammans med Region Örebro län.",
    "Flera av insatserna bygger på frivilliga krafter och civilsamhällets organisationer.",
    "Målet för nästa år är att alla medarbetare ska ha genomgått grundutbildningen.",
    "Väntetiderna har minskat från sex till tre veckor, vilket brukarna efterfrågat länge.",
    "Vi har också påbörjat en kartläggning av behoven hos barn som lever med missbruk i familjen.",
    "Resultaten redovisas för socialnämnden och i den årliga kvalitetsberättelsen.",
)
ACTIVITY_SENTENCES = (
    "Inom {act} har arbetet fortsatt enligt plan och nått fler deltagare än året innan.",
    "Satsningen {act} utvärderas under hösten tillsammans med brukarorganisationerna.",
    "Genom {act} har samarbetet mellan förvaltningarna blivit tydligare.",
    "{act} har under året fått en fast organisation och en egen budget.",
)


def _plan_structure() -> tuple[list[str], list[dict]]:
    """Focus-area names in report order, and the 13 chosen sub-goals (plan, title, focus area
    index, order) from the repository's YAML file."""
    import yaml

    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    fa_index = {fa["key"]: i for i, fa in enumerate(data["focus_areas"])}
    wanted = set(SUB_GOAL_KEYS)
    goals = []
    for plan_position, plan in enumerate(data["action_plans"]):
        for position, goal in enumerate(plan["sub_goals"]):
            if (plan["key"], goal["key"]) in wanted:
                goals.append({"plan_key": plan["key"], "key": goal["key"], "plan": plan["name"],
                              "title": goal["title"], "focus_area": fa_index[goal["focus_area"]],
                              "order": (plan_position, position)})
    assert len(goals) == len(SUB_GOAL_KEYS)
    return [fa["name"] for fa in data["focus_areas"]], goals


def _organisation_names(scale: int) -> list[str]:
    import yaml

    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    base = [m["name"] for m in data["municipalities"]] + [d["name"] for d in data["districts"]]
    assert len(base) == 16
    return [name if copy == 0 else f"{name} {copy + 1}" for copy in range(scale) for name in base]


def synthetic_material(scale: int) -> dict:
    """Organisations, sub-goals, activities and answer texts for ``scale`` × Region Örebro län.
    Deterministic: the same scale gives the same material."""
    focus_areas, goals = _plan_structure()
    organisations = _organisation_names(scale)
    n_goals = len(goals)
    activities = []   # dicts: org, name, goals (indexes), years, status, unit, description
    for o, org in enumerate(organisations):
        for k in range(ACTIVITIES_PER_ORGANISATION):
            primary = (o + k) % n_goals
            served = [primary]
            if k % 4 == 1:  # every fourth activity serves a second focus area too
                other = (primary + 5) % n_goals
                while goals[other]["focus_area"] == goals[primary]["focus_area"]:
                    other = (other + 1) % n_goals
                served.append(other)
            start = 2019 + (o + 2 * k) % 6                       # 2019–2024
            end = None if k % 3 == 0 else min(2024, start + 1 + k % 3)
            if k % 8 == 3:
                status = "paused"
            elif end is not None and end < 2024:
                status = "done"
            else:
                status = "ongoing"
            name = f"{ACTIVITY_NAMES[(3 * o + k) % len(ACTIVITY_NAMES)]} i {org}"
            description = (f"{name} riktar sig till invånare som behöver samordnat stöd. "
                           f"Ansvaret ligger hos {UNITS[(o + k) % len(UNITS)].lower()}."
                           if k % 2 == 0 else "")
            activities.append({"org": o, "name": name, "goals": served, "start": start,
                               "end": end, "status": status,
                               "unit": UNITS[(o + k) % len(UNITS)], "description": description})
    by_org_goal: dict[tuple[int, int], list[str]] = {}
    for a in activities:
        for g in a["goals"]:
            by_org_goal.setdefault((a["org"], g), []).append(a["name"])
    answers = {}
    for o, org in enumerate(organisations):
        for g in range(n_goals):
            rng = random.Random(o * 1000 + g)
            names = by_org_goal.get((o, g), [])
            paragraphs, current, length = [], [], 0
            i = 0
            while length < ANSWER_CHARS:
                if names and i % 3 == 1:
                    sentence = rng.choice(ACTIVITY_SENTENCES).format(act=names[(i // 3) % len(names)])
                else:
                    sentence = rng.choice(SENTENCES).format(org=org)
                current.append(sentence)
                length += len(sentence) + 1
                i += 1
                if len(current) == 4:
                    paragraphs.append(" ".join(current))
                    current = []
            if current:
                paragraphs.append(" ".join(current))
            answers[(o, g)] = "\n".join(paragraphs)
    return {"focus_areas": focus_areas, "goals": goals, "organisations": organisations,
            "activities": activities, "answers": answers}


FOREWORD = ("Region Örebro län och länets kommuner följer varje år upp de regionala "
            "handlingsplanerna.\nDen här rapporten sammanställer de godkända svaren.")
SIGNATURE = "Anna Andersson, områdeschef"
INTRO = ("Pandemins påverkan", "Pandemin har påverkat arbetet under flera år. " * 20)
CLOSING = ("Fortsatt arbete", "Uppföljningen fortsätter nästa år med samma delmål. " * 10)
STATUS = {"planned": "Planeras", "ongoing": "Pågår", "paused": "Pausad", "done": "Genomförd"}


def synthetic_report(scale: int):
    """ReportData as collect() would make it from the synthetic material (all answers approved,
    provenance on)."""
    from worker.report.data import (
        FocusAreaChapter,
        OrganisationAnswer,
        OrganisationRate,
        Provenance,
        ReportData,
        StatusRow,
        SubGoalSection,
        TextSection,
        TimelineActivity,
    )

    m = synthetic_material(scale)
    goals, organisations, focus_areas = m["goals"], m["organisations"], m["focus_areas"]
    order = sorted(range(len(goals)), key=lambda g: goals[g]["order"])
    used = sorted({goals[g]["focus_area"] for g in order})
    by_name = sorted(range(len(organisations)), key=lambda o: organisations[o])
    printed: dict[int, list] = {fa: [] for fa in used}
    serves: dict[int, set[int]] = {fa: set() for fa in used}
    for a in sorted(m["activities"], key=lambda a: (a["org"], a["name"])):
        chapters = sorted({goals[g]["focus_area"] for g in a["goals"]})
        printed[chapters[0]].append(TimelineActivity(
            name=a["name"], group=organisations[a["org"]], responsible_unit=a["unit"],
            start_year=a["start"], end_year=a["end"], status=STATUS[a["status"]],
            paused=a["status"] == "paused", description=a["description"]))
        for other in chapters[1:]:
            serves[other].add(chapters[0])
    chapters = [FocusAreaChapter(
        name=focus_areas[fa],
        sub_goals=[SubGoalSection(plan=goals[g]["plan"], title=goals[g]["title"],
                                  answers=[OrganisationAnswer(organisations[o], m["answers"][(o, g)])
                                           for o in by_name])
                   for g in order if goals[g]["focus_area"] == fa],
        activities=printed[fa],
        see_also=[focus_areas[x] for x in used if x in serves[fa]],
    ) for fa in used]
    today = dt.date.today()
    n = len(organisations)
    return ReportData(
        title="Uppföljning av handlingsplaner", unit="Område välfärd och folkhälsa",
        author="Område välfärd och folkhälsa", date=today, registry_number=None,
        round_name=f"Uppföljning {today.year}", foreword=FOREWORD, foreword_signature=SIGNATURE,
        chapters=chapters, intro_sections=[TextSection(*INTRO)],
        closing_sections=[TextSection(*CLOSING)],
        period=(2019, max(2023, today.year) + 1), current_year=today.year,
        status_rows=[StatusRow(focus_areas[fa], n * sum(goals[g]["focus_area"] == fa for g in order),
                               0, 0, 0, 0) for fa in used],
        organisation_rates=[OrganisationRate(organisations[o], 100, 100) for o in by_name],
        provenance=[Provenance(organisations[o], goals[g]["title"], 3, REVIEWER, today)
                    for o in by_name for g in order],
    )


# --- helpers ------------------------------------------------------------------------------

def _rss_bytes(pid: int | str = "self") -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _mb(n_bytes: float | None) -> str:
    return "–" if n_bytes is None else f"{n_bytes / 1024 ** 2:,.0f}"


def _emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


# --- part A: the builder alone, one fresh process per size -------------------------------

def child_build(scale: int, runs: int, trace: bool) -> None:
    """Runs in a fresh process: make the data, build ``runs`` times, report; then optionally
    once more under tracemalloc. One JSON line per stage on stdout."""
    import tracemalloc

    from worker.report.builder import build_docx
    from worker.report.charts import status_chart_png

    started = time.perf_counter()
    data = synthetic_report(scale)
    status_chart_png(data.status_rows)  # matplotlib's first-use cost is not the builder's
    gc.collect()
    _emit({"stage": "data", "seconds": time.perf_counter() - started,
           "rss_before": _rss_bytes(),
           "answers": sum(len(s.answers) for c in data.chapters for s in c.sub_goals),
           "answer_chars": sum(len(a.text) for c in data.chapters for s in c.sub_goals
                               for a in s.answers),
           "activities": sum(len(c.activities) for c in data.chapters)})
    times, size = [], 0
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        blob = build_docx(data)
        times.append(time.perf_counter() - t0)
        size = len(blob)
        del blob
    _emit({"stage": "time", "times": times, "docx_bytes": size,
           "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024})
    _emit({"stage": "names", "seconds": _name_matching_seconds(data)})
    if trace:
        gc.collect()
        tracemalloc.start()
        t0 = time.perf_counter()
        blob = build_docx(data)
        seconds = time.perf_counter() - t0
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del blob
        _emit({"stage": "trace", "peak": peak, "seconds": seconds})


def _name_matching_seconds(data) -> float | None:
    """The part of a build that finds the chapter's activity names in each answer (the
    builder's _Highlighter.candidates, the same calls build_docx makes). Names are looked up
    by their first characters, so it grows with the answer text. None if the builder changed."""
    try:
        from worker.report.builder import _Highlighter, _one_line, clean_text
    except ImportError:
        return None
    t0 = time.perf_counter()
    for chapter in data.chapters:
        highlighter = _Highlighter([_one_line(a.name) for a in chapter.activities])
        for sub_goal in chapter.sub_goals:
            for answer in sub_goal.answers:
                highlighter.candidates(clean_text(answer.text))
    return time.perf_counter() - t0


def run_child(scale: int, runs: int, trace: bool) -> dict:
    """Start child_build in a fresh interpreter and watch it: killed when the data takes longer
    than GENERATE_LIMIT_S, a stage longer than BUILD_LIMIT_S, or its RSS passes MEMORY_LIMIT."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(scale),
           "--runs", str(runs)] + (["--trace"] if trace else [])
    errors = tempfile.TemporaryFile("w+", encoding="utf-8")  # a pipe could fill and block
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True)
    records: dict[str, dict] = {}
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    result = {"scale": scale, "stopped": None, "rss_seen": 0}
    stage_started = time.monotonic()
    limit = GENERATE_LIMIT_S
    while proc.poll() is None:
        time.sleep(0.2)
        result["rss_seen"] = max(result["rss_seen"], _rss_bytes(proc.pid))
        while lines:
            record = json.loads(lines.pop(0))
            records[record["stage"]] = record
            stage_started, limit = time.monotonic(), BUILD_LIMIT_S
        if result["rss_seen"] > MEMORY_LIMIT:
            result["stopped"] = f"stopped: resident memory passed {_mb(MEMORY_LIMIT)} MB"
        elif time.monotonic() - stage_started > limit:
            result["stopped"] = f"stopped: a stage took longer than {limit} s"
        if result["stopped"]:
            proc.kill()
            break
    proc.wait()
    reader.join(timeout=5)
    for line in lines:
        record = json.loads(line)
        records[record["stage"]] = record
    if proc.returncode not in (0, None) and not result["stopped"]:
        errors.seek(0)
        err = errors.read().strip().splitlines()
        result["stopped"] = f"failed (exit {proc.returncode}): {err[-1] if err else ''}"
    errors.close()
    result.update(records)
    return result


def part_a(log) -> list[dict]:
    results = []
    for scale in SCALES:
        if scale == 100 and results:
            previous = results[-1]
            if "time" not in previous:
                results.append({"scale": scale, "stopped": "not run: the 10× build did not finish"})
                continue
            best = min(previous["time"]["times"])
            predicted_s = best * 10
            predicted_mem = previous["time"]["maxrss"] * 10
            if predicted_s > BUILD_LIMIT_S or predicted_mem > MEMORY_LIMIT:
                results.append({"scale": scale, "stopped": (
                    f"not run: linear extrapolation from 10× gives ~{predicted_s:.0f} s and "
                    f"~{_mb(predicted_mem)} MB, over the limits ({BUILD_LIMIT_S} s, "
                    f"{_mb(MEMORY_LIMIT)} MB)")})
                continue
        log(f"part A: builder at {scale}× ({RUNS[scale]} run(s) + 1 under tracemalloc) …")
        result = run_child(scale, RUNS[scale], trace=True)
        results.append(result)
        if "time" in result:
            log(f"  best {min(result['time']['times']):.2f} s, maxrss {_mb(result['time']['maxrss'])} MB"
                + (f"; {result['stopped']}" if result["stopped"] else ""))
        else:
            log(f"  {result['stopped']}")
    return results


# --- part B: the real worker against the direct path ------------------------------------

def _seed_round(scale: int = 1) -> dict:
    """In the app context: make round 1 a 1×-sized round with approved answers only."""
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import (
        ActionPlan,
        Activity,
        ActivityReport,
        ActivityStatus,
        Answer,
        Organisation,
        Round,
        SubGoal,
        Submission,
        User,
    )
    from webapp.models._types import utcnow
    from webapp.services import rounds
    from webapp.workflows.review import ReviewState

    m = synthetic_material(scale)
    admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
    reviewer = db.session.scalar(select(User).where(User.email == "granskare@example.se"))
    rnd = db.session.get(Round, 1)
    organisations = {o.name: o for o in db.session.scalars(select(Organisation))}
    orgs = [organisations[name] for name in m["organisations"]]
    for org in orgs:  # the 12 municipalities are recipients already; add the 4 districts
        if org not in rnd.recipients:
            rnd.recipients.append(org)
            db.session.add(Submission(round_id=rnd.id, organisation_id=org.id))
    sub_goals = []
    for goal in m["goals"]:
        sg = db.session.scalar(select(SubGoal).join(ActionPlan).where(
            ActionPlan.key == goal["plan_key"], SubGoal.key == goal["key"]))
        sub_goals.append(sg)
        if sg not in rnd.sub_goals:
            rnd.sub_goals.append(sg)
    db.session.flush()
    submissions = {s.organisation_id: s for s in db.session.scalars(
        select(Submission).where(Submission.round_id == rnd.id))}
    existing = {(a.submission.organisation_id, a.sub_goal_id): a for a in db.session.scalars(
        select(Answer).join(Submission).where(Submission.round_id == rnd.id))}
    now = utcnow()
    for o, org in enumerate(orgs):
        for g, sg in enumerate(sub_goals):
            answer = existing.get((org.id, sg.id))
            if answer is None:  # the demo's own four answers are overwritten: all approved
                answer = Answer(submission=submissions[org.id], sub_goal=sg)
                db.session.add(answer)
            answer.text = m["answers"][(o, g)]
            answer.values = {"text": answer.text}
            answer.state = ReviewState.APPROVED
            answer.submitted_at = answer.reviewed_at = answer.updated_at = now
            answer.reviewed_by_id = reviewer.id
    for a in m["activities"]:
        activity = Activity(organisation_id=orgs[a["org"]].id, name=a["name"])
        db.session.add(ActivityReport(
            activity=activity, round_id=rnd.id, status=ActivityStatus(a["status"]),
            description=a["description"], start_year=a["start"], end_year=a["end"],
            responsible_unit=a["unit"], sub_goals=[sub_goals[g] for g in a["goals"]]))
    rounds.save_texts(admin, rnd, foreword=FOREWORD, signature=SIGNATURE,
                      sections=[("intro", *INTRO), ("closing", *CLOSING)])
    db.session.commit()
    return {"answers": len(orgs) * len(sub_goals), "activities": len(m["activities"]),
            "organisations": len(orgs), "sub_goals": len(sub_goals)}


def part_b(log) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="uppfoljning-bench-"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "UPPFOLJNING_CLOCK_FILE",
                        "CELERY_QUEUE", "SMTP_HOST", "UPPFOLJNING_ENV", "FLASK_DEBUG")}
    env["UPPFOLJNING_INSTANCE"] = str(tmp)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    os.environ.clear()
    os.environ.update(env)
    # Every process of part B runs in the temporary folder: kombu's filesystem transport keeps
    # its exchange tables in ./control of the current directory (the project's config does not
    # set control_folder), which must not be the work tree.
    here = os.getcwd()
    os.chdir(tmp)
    worker = None
    worker_log = open(tmp / "worker.log", "w+", encoding="utf-8")
    result: dict = {}
    try:
        for args in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run([str(VENV_BIN / "flask"), "--app", "webapp", *args], cwd=tmp,
                           env=env, check=True, capture_output=True, timeout=300)
        from sqlalchemy import select

        from webapp import create_app
        from webapp.extensions import db
        from webapp.models import ReportJob, ReportJobState, Round, User
        from webapp.services import reports
        from worker.report.builder import build_docx
        from worker.report.collect import collect

        app = create_app()
        with app.app_context():
            result["seeded"] = _seed_round()
            log(f"part B: seeded {result['seeded']}")

            def direct() -> tuple[float, int]:
                db.session.remove()
                t0 = time.perf_counter()
                rnd = db.session.get(Round, 1)
                job = ReportJob(round=rnd, registry_number=None, focus_area_ids="",
                                organisation_ids="", include_provenance=True)  # not saved
                content = build_docx(collect(job))
                db.session.rollback()
                return time.perf_counter() - t0, len(content)

            result["direct_cold"], _ = direct()  # first call: imports, matplotlib warm-up
            result["direct"] = [direct()[0] for _ in range(DIRECT_RUNS)]
            log(f"part B: direct {[format(t, '.2f') for t in result['direct']]}")

            worker = subprocess.Popen(
                [str(VENV_BIN / "celery"), "-A", "worker.celery_app", "worker", "--pool", "solo",
                 "--loglevel", "INFO", "-n", f"bench{os.getpid()}@%h"],
                cwd=tmp, env=env, stdout=worker_log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 90
            while "ready." not in (tmp / "worker.log").read_text(encoding="utf-8"):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the worker did not start:\n"
                                       + (tmp / "worker.log").read_text(encoding="utf-8")[-2000:])
                time.sleep(0.2)

            from worker.tasks import build_report

            def through_worker() -> dict:
                db.session.remove()
                admin = db.session.scalar(select(User).where(User.email == "admin@example.se"))
                t0 = time.perf_counter()
                job = reports.request_report(admin, db.session.get(Round, 1), None,
                                             include_provenance=True)
                db.session.commit()
                job_id = job.id
                build_report.delay(job_id)
                while True:
                    db.session.remove()  # a fresh transaction per look: never hold a lock
                    job = db.session.get(ReportJob, job_id)
                    if job.state in (ReportJobState.DONE, ReportJobState.FAILED):
                        break
                    if time.perf_counter() - t0 > JOB_LIMIT_S:
                        raise RuntimeError(f"report job {job_id} not done after {JOB_LIMIT_S} s")
                    db.session.remove()
                    time.sleep(0.02)
                elapsed = time.perf_counter() - t0
                record = {"seconds": elapsed, "state": job.state.value,
                          "queued": (job.started_at - job.requested_at).total_seconds(),
                          "building": (job.finished_at - job.started_at).total_seconds(),
                          "bytes": job.file.size if job.file else 0}
                db.session.remove()
                if record["state"] != "done":
                    raise RuntimeError(f"report job {job_id} failed")
                return record

            result["worker_cold"] = through_worker()  # the worker's first build: imports
            result["worker"] = [through_worker() for _ in range(WORKER_JOBS)]
            log(f"part B: worker {[format(r['seconds'], '.2f') for r in result['worker']]}")
    except Exception as error:  # reported in the section, not hidden
        result["error"] = f"{type(error).__name__}: {error}"
        log(f"part B failed: {result['error']}")
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        worker_log.close()
        os.chdir(here)
        shutil.rmtree(tmp, ignore_errors=True)
    return result


# --- the markdown section -------------------------------------------------------------------

def section(a: list[dict], b: dict, started: dt.datetime, total_s: float) -> str:
    out = [START, "## Report build", ""]
    out.append(f"- Date: {started:%Y-%m-%d %H:%M} UTC ({total_s / 60:.1f} min in all)")
    out.append(f"- Command: `{COMMAND}`")
    out.append(f"- Machine: {_machine()}; other developers' work may run on the same cores "
               "(noise possible)")
    out += ["", "### A. The builder alone (`build_docx`, synthetic ReportData, provenance on)", ""]
    out.append("1× is Region Örebro län: 16 organisations × 13 sub-goals (≈2,000-character approved "
               "answers naming the activities) over 8 chapters, 10 activities per organisation "
               "(2019–2024, some paused, every fourth serving a second chapter), status rows, "
               "rates. 10× and 100× multiply the organisations. Each size runs in a fresh process.")
    out += ["", "| size | organisations | answers | answer text (M chars) | activities | .docx (MB) "
                "| wall s | runs | × 1× | step ratio | of which name matching (s) "
                "| tracemalloc peak (MB) | RSS before build (MB) | maxrss (MB) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    baseline = None
    previous = None
    notes = []
    for r in a:
        scale = r["scale"]
        data, timing, trace = r.get("data"), r.get("time"), r.get("trace")
        if r.get("stopped"):
            notes.append(f"{scale}×: {r['stopped']}"
                         + (f" (highest RSS seen {_mb(r['rss_seen'])} MB)" if r.get("rss_seen") else ""))
        if not timing:
            out.append(f"| {scale}× | {16 * scale:,} | | | | | not measured | | | | | | | |")
            previous = None
            continue
        best = min(timing["times"])
        baseline = baseline or best
        step = f"{best / previous:.1f}" if previous else "–"
        if previous and best / previous > 15:
            notes.append(f"{scale}×: step ratio {best / previous:.1f}, well above 10: the build "
                         "time grows faster than the material (not linear).")
        previous = best
        names = r.get("names", {}).get("seconds")
        out.append(
            f"| {scale}× | {16 * scale:,} | {data['answers']:,} | {data['answer_chars'] / 1e6:.1f} "
            f"| {data['activities']:,} | {timing['docx_bytes'] / 1024 ** 2:.1f} "
            f"| {best:.2f} | {len(timing['times'])} | {best / baseline:.1f} | {step} "
            f"| {'–' if names is None else f'{names:.2f}'} "
            f"| {_mb(trace['peak']) if trace else 'not measured'} | {_mb(data['rss_before'])} "
            f"| {_mb(timing['maxrss'])} |")
    out += ["", "Wall s is the best of the runs. *× 1×* is against the 1× build of this run "
            "(the baseline); *step ratio* is 10× / 1× and 100× / 10×; linear means near 10. "
            "*Name matching* times, on its own, the builder's search for each chapter's activity "
            "names in each of its answers (`_Highlighter.candidates`); it looks names up by their "
            "first characters, so it grows with the answer text (before that index, 100× took "
            "88 s with a step ratio of 43). maxrss is the child's "
            "`getrusage` peak (interpreter, the input data and the build); tracemalloc sees only "
            "Python's own allocations, not libxml2's (lxml's tree), so it is a lower bound."]
    out += [f"- {n}" for n in notes]
    out += ["", "### B. 1× through the real worker against the direct path", ""]
    if "error" in b:
        out.append(f"Not measured: {b['error']}")
    if b.get("worker"):
        direct = statistics.median(b["direct"])
        worker = statistics.median(r["seconds"] for r in b["worker"])
        seeded = b["seeded"]
        out.append(f"SQLite in a temporary folder, `seed-demo`, then round 1 filled to 1× "
                   f"({seeded['organisations']} organisations × {seeded['sub_goals']} sub-goals = "
                   f"{seeded['answers']} approved answers, {seeded['activities']} activities), "
                   "provenance on. *Direct* is `collect` + `build_docx` in-process, as "
                   "`flask compile-report` runs them. *Worker* is `reports.request_report` → "
                   "commit → `build_report.delay` → the job row says done (polled every 20 ms), "
                   "with one `celery worker --pool solo` on the embedded filesystem broker. "
                   "Both paths had one warm-up build first (not counted).")
        out += ["", "| path | runs (s) | median (s) | × direct |", "|---|---|---:|---:|",
                f"| direct (baseline) | {', '.join(format(t, '.2f') for t in b['direct'])} | {direct:.2f} | 1.0 |",
                f"| worker, request → done | {', '.join(format(r['seconds'], '.2f') for r in b['worker'])} "
                f"| {worker:.2f} | {worker / direct:.2f} |"]
        queued = statistics.median(r["queued"] for r in b["worker"])
        building = statistics.median(r["building"] for r in b["worker"])
        out += ["", f"From the job rows (median): {queued:.2f} s from request to claim (the "
                f"filesystem broker polls once a second), {building:.2f} s from claim to done "
                f"(collect, build, store the {b['worker'][0]['bytes'] / 1024 ** 2:.1f} MB file). "
                f"Warm-ups: direct {b['direct_cold']:.2f} s, worker "
                f"{b['worker_cold']['seconds']:.2f} s (its first build imports python-docx and "
                "matplotlib)."]
    out += ["", END]
    return "\n".join(out)


def _machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                          if line.startswith("model name")), "")
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            memory = int(next(line.split()[1] for line in meminfo
                              if line.startswith("MemTotal"))) / 1024 ** 2
    except (OSError, StopIteration, ValueError):
        memory = 0
    return (f"{os.cpu_count()} cores ({model or platform.machine()}), {memory:.0f} GiB RAM, "
            f"{platform.platform()}, Python {platform.python_version()}")


HEADER = """# Benchmarks

Speed is measured in benchmarks, not in timed tests. Each benchmark writes its own section
below, between its own markers, and states its numbers as ratios against a baseline measured
in the same run, so runs on different days or machines compare by their ratios.

The machine: the project's standard one, 2 cores (AMD EPYC) and 24 GiB of memory, Debian 12,
Python 3.11. Each section says when and with which command it was measured.
"""


def write_doc(text: str) -> None:
    DOC.parent.mkdir(parents=True, exist_ok=True)
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1]
        updated = before + text + after
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(updated, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    parser.add_argument("--part", choices=("a", "b"),
                        help="run one part only (implies --no-write)")
    args = parser.parse_args()
    if args.child:
        child_build(args.child, args.runs, args.trace)
        return

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    a = part_a(log) if args.part in (None, "a") else []
    b = part_b(log) if args.part in (None, "b") else {"error": "not run (--part a)"}
    text = section(a, b, started, time.monotonic() - t0)
    print(text)
    if not (args.no_write or args.part):
        write_doc(text)
        log(f"wrote the report section of {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
