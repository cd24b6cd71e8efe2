// One premises taken offline, as kept on this tablet: what the officer may see of it, and the
// forms they may fill in there.
import * as store from "./db.js";
import { banner, el, hidden, loaded, longDate, openSession, registerWorker, when } from "./ui.js";

const area = document.getElementById("offline-premises-detail");
const title = document.getElementById("offline-title");

function row(key, ...value) {
  return el(
    "div",
    { class: "govuk-summary-list__row" },
    el("dt", { class: "govuk-summary-list__key" }, key),
    el("dd", { class: "govuk-summary-list__value" }, ...value),
  );
}

function lines(...parts) {
  const out = [];
  for (const part of parts.filter(Boolean)) {
    if (out.length) {
      out.push(el("br"));
    }
    out.push(part);
  }
  return out;
}

function licenceCard(lic) {
  return el(
    "div",
    { class: "govuk-summary-card" },
    el(
      "div",
      { class: "govuk-summary-card__title-wrapper" },
      el("h3", { class: "govuk-summary-card__title" }, `${lic.type}: ${lic.number}`),
    ),
    el(
      "div",
      { class: "govuk-summary-card__content" },
      el(
        "dl",
        { class: "govuk-summary-list" },
        row("Status", lic.status),
        row("Expires", lic.expires_on ? longDate(lic.expires_on) : "No expiry date recorded"),
      ),
      el("h4", { class: "govuk-heading-s" }, "Conditions"),
      lic.conditions.length
        ? el("ol", { class: "govuk-list" }, lic.conditions.map((c) => el("li", {}, `${c.number}. ${c.text}`)))
        : el("p", { class: "govuk-body" }, "No conditions recorded."),
    ),
  );
}

function latestInspection(i) {
  const visible = [
    i.poster_visible_public ? "the public" : null,
    i.poster_visible_workers ? "people working there" : null,
  ].filter(Boolean);
  return [
    el("h2", { class: "govuk-heading-m" }, "Latest inspection"),
    el(
      "dl",
      { class: "govuk-summary-list" },
      row("When", i.inspected_at_text || when(i.inspected_at)),
      row("Reason", i.reason),
      row("Outcome", i.outcome),
      row("Poster displayed", i.poster_displayed ? "Yes" : "No"),
      row("Poster visible to", visible.length ? visible.join(" and ") : "Neither the public nor people working there"),
      row("Poster languages seen", i.languages_displayed.length ? i.languages_displayed.join(", ") : "None"),
    ),
    i.findings.length
      ? el(
          "table",
          { class: "govuk-table" },
          el("caption", { class: "govuk-table__caption govuk-table__caption--s" }, "Findings for each condition checked"),
          el(
            "thead",
            { class: "govuk-table__head" },
            el(
              "tr",
              { class: "govuk-table__row" },
              el("th", { scope: "col", class: "govuk-table__header" }, "Condition"),
              el("th", { scope: "col", class: "govuk-table__header" }, "Finding"),
            ),
          ),
          el(
            "tbody",
            { class: "govuk-table__body" },
            i.findings.map((f) =>
              el(
                "tr",
                { class: "govuk-table__row" },
                el("td", { class: "govuk-table__cell" }, `${f.condition_number}. ${f.condition_text}`),
                el("td", { class: "govuk-table__cell" }, f.finding),
              ),
            ),
          ),
        )
      : null,
  ];
}

function render(pkg, records) {
  const s = pkg.summary;
  title.textContent = s.name;
  document.title = `${s.name} – Working offline`;
  const a = s.address || {};
  const parts = [
    el(
      "dl",
      { class: "govuk-summary-list" },
      row("Type of premises", s.premises_type || "Not recorded"),
      row("Address", ...lines(a.line1, a.line2, a.town, a.postcode)),
      row("Ward", s.ward || "Not known"),
      row("Languages needed", s.poster_languages.length ? s.poster_languages.join(", ") : "Not recorded"),
      row("Taken offline", when(pkg.taken_at)),
    ),
  ];
  const actions = [];
  if (pkg.can_inspect && pkg.forms?.inspection) {
    actions.push(
      el("a", { class: "govuk-button", href: `/offline/inspect?id=${pkg.premises_id}` }, "Record an inspection", hidden(` of ${s.name}`)),
    );
  }
  if (pkg.can_visit && pkg.forms?.welfare_visit) {
    actions.push(
      el("a", { class: "govuk-button", href: `/offline/visit?id=${pkg.premises_id}` }, "Log a welfare visit", hidden(` to ${s.name}`)),
    );
  }
  if (actions.length) {
    parts.push(el("div", { class: "govuk-button-group" }, actions));
  }
  const here = records.filter((r) => r.premisesId === pkg.premises_id && r.state !== "sent");
  if (here.length) {
    parts.push(
      el("h2", { class: "govuk-heading-m" }, "Records on this tablet"),
      el(
        "ul",
        { class: "govuk-list" },
        here.map((r) =>
          el("li", {}, `${r.kind === "inspection" ? "Inspection" : "Welfare visit"} saved ${when(r.savedAt)}: `, el("strong", {}, store.STATES[r.state])),
        ),
      ),
    );
  }
  parts.push(el("h2", { class: "govuk-heading-m" }, "Licences"));
  parts.push(...(s.licences.length ? s.licences.map(licenceCard) : [el("p", { class: "govuk-body" }, "No licences recorded for this premises.")]));
  if (s.latest_inspection) {
    parts.push(...latestInspection(s.latest_inspection));
  }
  if (s.open_follow_ups.length) {
    parts.push(
      el("h2", { class: "govuk-heading-m" }, "Open follow-ups"),
      el("ul", { class: "govuk-list govuk-list--bullet" }, s.open_follow_ups.map((f) => el("li", {}, `${f.what}, due ${f.due_on}`))),
    );
  }
  if (s.welfare_visits.length) {
    parts.push(
      el("h2", { class: "govuk-heading-m" }, "Earlier welfare visits"),
      el("ul", { class: "govuk-list" }, s.welfare_visits.map((v) => el("li", {}, v.date_text))),
    );
  }
  area.replaceChildren(...parts);
}

async function start() {
  registerWorker();
  const id = Number(new URLSearchParams(location.search).get("id"));
  const session = await openSession(() =>
    area.replaceChildren(el("p", { class: "govuk-body" }, "Nothing is kept on this tablet.")),
  );
  if (!session) {
    return;
  }
  const pkg = Number.isInteger(id) && id > 0 ? await store.getPremises(session.key, id) : null;
  loaded();
  if (!pkg) {
    area.replaceChildren(
      el("p", { class: "govuk-body" }, "This premises is not kept on this tablet. ", el("a", { class: "govuk-link", href: "/offline/" }, "See the premises on this tablet")),
    );
    return;
  }
  render(pkg, await store.allRecords(session.key));
  const saved = new URLSearchParams(location.search).get("saved");
  if (saved) {
    banner(`${saved === "welfare_visit" ? "Welfare visit" : "Inspection"}: saved on this tablet, not yet sent.`, {
      success: true,
      title: "Saved",
    });
  }
}

start();
