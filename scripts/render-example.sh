#!/usr/bin/env bash
# Render pages of the demo report to PNG for docs/example-report.md:
#   bash scripts/render-example.sh
# Builds the demo round's report with `flask compile-report` against a throw-away SQLite
# instance (seed-demo plus a few approved answers and activities, made through the services),
# converts it to PDF with LibreOffice and renders pages with pdftoppm:
#   docs/example-report-page-1.png  the first chapter page, with its activity timeline
#   docs/example-report-page-2.png  the page with the summary of the round (status table)
#   docs/example-report-page-3.png  the page with the status chart, when it is another page
# KEEP_PDF=/some/file.pdf keeps the whole PDF too. Installs libreoffice-writer-nogui and
# poppler-utils with apt-get when they are missing, and Carlito and Caladea: the fonts metric-
# compatible with Calibri and Cambria, the report's fonts, so lines and pages break as in Word
# (without them LibreOffice falls back to the wider DejaVu).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
RESOLUTION=${RESOLUTION:-60}
MAX_PNG_BYTES=300000

missing=()
for pkg in libreoffice-writer-nogui poppler-utils fonts-crosextra-carlito fonts-crosextra-caladea; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing ${missing[*]} …"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/flask ]; then
  make .venv/.installed
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/uppfoljning-example.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The embedded default, in the temporary folder: SQLite, no broker needed (compile-report is
# synchronous), mails written as files there.
unset DATABASE_URL CELERY_BROKER_URL UPPFOLJNING_CLOCK_FILE SMTP_HOST UPPFOLJNING_ENV
export UPPFOLJNING_INSTANCE="$work/instance"
flask=(.venv/bin/flask --app webapp)

"${flask[@]}" db upgrade >/dev/null 2>&1
"${flask[@]}" seed-demo >/dev/null

# A few more approved answers and activities, through the services people use, so the
# timeline, the bold activity names, the cross-reference and the chart have content.
.venv/bin/python - <<'PY'
from sqlalchemy import select

from webapp import create_app
from webapp.extensions import db
from webapp.models import (ActionPlan, ActivityLevel, ActivityStatus, Organisation, Round,
                           SubGoal, User)
from webapp.services import activities, answers, review, rounds
from webapp.services.activities import ActivityInput

app = create_app()
with app.app_context():
    def user(email):
        return db.session.scalar(select(User).where(User.email == email))

    def goal(plan, key):
        return db.session.scalar(select(SubGoal).join(ActionPlan)
                                 .where(ActionPlan.key == plan, SubGoal.key == key))

    def submission(name):
        org = db.session.scalar(select(Organisation).where(Organisation.name == name))
        return answers.get_submission(1, org.id)

    rnd = db.session.get(Round, 1)
    admin, reviewer = user("admin@example.se"), user("granskare@example.se")
    orebro, kumla = user("orebro@example.se"), user("kumla@example.se")
    d1, d2, d3 = goal("social-valfard", "d1"), goal("social-valfard", "d2"), goal("social-valfard", "d3")
    vard = goal("sammanhallen-vard", "d1")

    def approve(answer):
        review.approve(reviewer, answer, expected_state=answer.state,
                       expected_version=answer.version)

    # Kumla's submitted answer is approved; more answers from Örebro and Kumla, approved.
    approve(answers.find_answer(submission("Kumla"), d1.id))
    texts = [
        (orebro, "Örebro", d2,
         "Fritidsverksamheten har öppnat två nya mötesplatser. Brukarråd inom socialtjänsten "
         "har tagit fram förslag på aktiviteter för unga vuxna med funktionsnedsättning.\n"
         "Mötesplatserna har haft drygt 3 000 besök under året."),
        (orebro, "Örebro", d3,
         "Mottagningen för unga med missbruk har förstärkts. Arbetet med Egen bedömning av behov "
         "har utvidgats till beroendevården."),
        (orebro, "Örebro", vard,
         "Brukarråd inom socialtjänsten har också granskat hemsjukvårdens information till "
         "patienter och närstående. Hälsosamtal erbjuds alla som fyller 40, 50 och 60 år."),
        (kumla, "Kumla", d2,
         "Kumla har erbjudit sommarlovsaktiviteter för alla barn i årskurs 4–9. "
         "Brukarrevision inom LSS har pausats under omorganisationen."),
        (kumla, "Kumla", vard,
         "Vårdcentralen och kommunen har gemensamma rutiner för samordnad individuell plan. "
         "Motiverande samtal används nu även i hemsjukvården."),
    ]
    for contact, org, sub_goal, text in texts:
        approve(answers.save_and_submit(contact, submission(org), sub_goal, text, None))

    # Activities (the timeline): one serves two focus areas, one is paused.
    for contact, org, name, status, start, end, unit, goals, description in [
        (orebro, "Örebro", "Egen bedömning av behov", ActivityStatus.ONGOING, 2020, None,
         "Socialförvaltningen", [d1, d3], "Brukaren bedömer själv sina behov inför planeringen."),
        (orebro, "Örebro", "Brukarråd inom socialtjänsten", ActivityStatus.DONE, 2019, 2022,
         "Funktionsstödsförvaltningen", [d2, vard], ""),
        (kumla, "Kumla", "Motiverande samtal", ActivityStatus.ONGOING, 2021, None,
         "Vård och omsorg", [d1, vard], ""),
        (kumla, "Kumla", "Brukarrevision inom LSS", ActivityStatus.PAUSED, 2022, 2024,
         "Socialtjänsten", [d2], ""),
        (kumla, "Kumla", "Sommarlovsaktiviteter", ActivityStatus.PLANNED, 2025, 2026,
         "Kultur- och fritidsförvaltningen", [d2], ""),
    ]:
        activities.save(contact, submission(org), ActivityInput(
            name=name, description=description, status=status, start_year=start, end_year=end,
            responsible_unit=unit, level=ActivityLevel.PREVENTIVE,
            sub_goal_ids=[g.id for g in goals]))

    rounds.save_texts(admin, rnd, foreword=(
        "Den här rapporten sammanställer kommunernas och länsdelsgruppernas godkända svar i "
        "årets uppföljning av de regionala handlingsplanerna."),
        signature="Anna Andersson, områdeschef", sections=[])
    db.session.commit()
PY

"${flask[@]}" compile-report 1 --out "$work/rapport.docx" --dnr 26RS0001
# A profile of its own, so a LibreOffice profile in $HOME is neither used nor changed.
libreoffice --headless "-env:UserInstallation=file://$work/lo-profile" \
  --convert-to pdf --outdir "$work" "$work/rapport.docx" >/dev/null 2>&1
pdf="$work/rapport.pdf"
[ -s "$pdf" ] || { echo "LibreOffice made no PDF" >&2; exit 1; }

# The page that shows a text first (pdftotext, page by page).
page_with() {
  local pages n
  pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
  for ((n = 1; n <= pages; n++)); do
    if pdftotext -f "$n" -l "$n" -layout "$pdf" - | grep -qF "$1"; then
      echo "$n"
      return
    fi
  done
  echo "not found in the PDF: $1" >&2
  exit 1
}

render() {  # page number, output file
  pdftoppm -png -r "$RESOLUTION" -f "$1" -l "$1" -singlefile "$pdf" "${2%.png}"
  local size
  size=$(stat -c %s "$2")
  if ((size >= MAX_PNG_BYTES)); then
    echo "$2 is $size bytes (limit $MAX_PNG_BYTES); lower RESOLUTION" >&2
    exit 1
  fi
  echo "$2: page $1 of $(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}'), $size bytes"
}

timeline_page=$(page_with "Tidslinje för aktiviteterna")
status_page=$(page_with "Antal delmålssvar per insatsområde och läge")
chart_page=$(page_with "Diagram: antal delmålssvar")
render "$timeline_page" "$ROOT/docs/example-report-page-1.png"
render "$status_page" "$ROOT/docs/example-report-page-2.png"
if [ "$chart_page" != "$status_page" ]; then
  render "$chart_page" "$ROOT/docs/example-report-page-3.png"
else
  rm -f "$ROOT/docs/example-report-page-3.png"
  echo "the chart is on the status table's page: no page 3"
fi
if [ -n "${KEEP_PDF:-}" ]; then
  cp "$pdf" "$KEEP_PDF"
  echo "PDF kept as $KEEP_PDF"
fi
