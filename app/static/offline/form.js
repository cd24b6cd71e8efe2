// The inspection and welfare visit forms, offline: the online form exactly as the server drew
// it when the premises was taken offline, checked here for what can be checked without the
// server (answers given, real dates, times, simple patterns), then saved on this tablet.
import * as store from "./db.js";
import { sendAll } from "./sync.js";
import {
  KINDS,
  el,
  hidden,
  loaded,
  openSession,
  registerWorker,
  replacedMessage,
  signedOutMessage,
} from "./ui.js";

const holder = document.getElementById("offline-form");
const kind = holder.dataset.kind;
const params = new URLSearchParams(location.search);
const premisesId = Number(params.get("id"));
const recordId = params.get("record");

const FIELD_SELECTOR = ".govuk-input, .govuk-textarea, .govuk-select, .govuk-radios, .govuk-checkboxes, .govuk-date-input";
const TIME_NAME = /(^|_)time$/;
const TIME = /^([01]?\d|2[0-3])[:.]([0-5]\d)$/;

// --- Reading and filling the form ----------------------------------------------------------

function controls(form) {
  return [...form.elements].filter(
    (c) => c.name && c.name !== "csrf_token" && c.type !== "file" && c.type !== "submit" && c.type !== "button",
  );
}

function readFields(form) {
  const fields = {};
  const many = new Set();
  // A name given to more than one box (a checkbox group; a date's day, month and year, which
  // GOV.UK's date input names alike) is sent as a list, in the order of the page.
  const count = new Map();
  for (const c of controls(form)) {
    if (c.type !== "radio") {
      count.set(c.name, (count.get(c.name) || 0) + 1);
    }
    if (c.type === "select-multiple") {
      many.add(c.name);
    }
  }
  for (const [name, n] of count) {
    if (n > 1) {
      many.add(name);
    }
  }
  for (const name of many) {
    fields[name] = [];
  }
  for (const c of controls(form)) {
    if ((c.type === "checkbox" || c.type === "radio") && !c.checked) {
      continue;
    }
    if (c.type === "select-multiple") {
      fields[c.name].push(...[...c.selectedOptions].map((o) => o.value));
    } else if (many.has(c.name)) {
      fields[c.name].push(c.value);
    } else {
      fields[c.name] = c.value;
    }
  }
  return fields;
}

function fillFields(form, fields) {
  const used = new Map();
  for (const c of controls(form)) {
    if (!(c.name in fields) && c.type !== "checkbox" && c.type !== "radio") {
      continue;
    }
    const value = fields[c.name];
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    if (c.type === "checkbox" || c.type === "radio") {
      c.checked = values.includes(c.value);
    } else if (c.type === "select-multiple") {
      for (const o of c.options) {
        o.selected = values.includes(o.value);
      }
    } else if (c.type !== "hidden") {
      const i = used.get(c.name) || 0;
      used.set(c.name, i + 1);
      c.value = values[i] ?? "";
    }
  }
}

// --- Local checks ----------------------------------------------------------------------------

function labelOf(control, form) {
  const fieldset = control.closest("fieldset");
  const datePart = Boolean(control.closest(".govuk-date-input"));
  if (control.type === "radio" || control.type === "checkbox" || datePart) {
    const legend = fieldset?.querySelector("legend");
    if (legend && (control.type !== "checkbox" || form.querySelectorAll(`[name="${CSS.escape(control.name)}"]`).length > 1 || datePart)) {
      return legend.textContent.trim();
    }
  }
  const label = control.id ? form.querySelector(`label[for="${CSS.escape(control.id)}"]`) : null;
  return (label?.textContent || control.name).trim();
}

function lower(text) {
  const clean = text.replace(/\s*\(optional\)\s*$/, "").replace(/[?:]$/, "");
  return /^[A-Z]{2}/.test(clean) ? clean : clean.charAt(0).toLowerCase() + clean.slice(1);
}

const QUESTION = /^(how|what|why|was|were|is|are|did|do|does|which|who|when|where|has|have)\b/i;

// "Enter the time the visit started"; a question is answered rather than entered.
function enterMessage(label) {
  const clean = label.replace(/\s*\(optional\)\s*$/, "").trim();
  if (QUESTION.test(clean)) {
    return `Answer the question: ${clean}`;
  }
  const text = lower(clean);
  return /^(the|a|an|your)\b/.test(text) ? `Enter ${text}` : `Enter the ${text}`;
}

function realDate(d, m, y) {
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) {
    return false;
  }
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
}

// Each problem found: {name (the field's, as the server names it), target (the control to
// focus), message}.
function check(form) {
  const problems = [];
  const seen = new Set();
  for (const c of controls(form)) {
    if (seen.has(c.name) || c.type === "hidden" || c.closest("[hidden], .govuk-radios__conditional--hidden, .govuk-checkboxes__conditional--hidden")) {
      continue;
    }
    const date = c.closest(".govuk-date-input") && (c.id || c.name).match(/^(.*)-(day|month|year)$/);
    if (date) {
      const base = date[1];
      if (seen.has(`date:${base}`)) {
        continue;
      }
      seen.add(`date:${base}`);
      const box = c.closest(".govuk-date-input");
      const part = (p) =>
        box.querySelector(`#${CSS.escape(`${base}-${p}`)}`) || box.querySelector(`[name="${CSS.escape(`${base}-${p}`)}"]`);
      const [d, m, y] = ["day", "month", "year"].map((p) => (part(p)?.value || "").trim());
      // GOV.UK's date input marks no box required; as everywhere in the service, a date whose
      // question does not say "(optional)" must be given.
      const label = lower(labelOf(c, form));
      const required =
        ["day", "month", "year"].some((p) => part(p)?.required) || !/\(optional\)/i.test(labelOf(c, form));
      if (!d && !m && !y) {
        if (required) {
          problems.push({ name: c.name, target: part("day"), message: `Enter the ${label.replace(/^the /, "")}` });
        }
      } else if (!realDate(d, m, y)) {
        problems.push({ name: c.name, target: part("day"), message: `The ${label.replace(/^the /, "")} must be a real date, like 27 3 2026` });
      }
      continue;
    }
    seen.add(c.name);
    const group = form.querySelectorAll(`[name="${CSS.escape(c.name)}"]`);
    const required = [...group].some((g) => g.required || g.getAttribute("aria-required") === "true");
    if (c.type === "radio" || c.type === "checkbox") {
      if (required && ![...group].some((g) => g.checked)) {
        problems.push({ name: c.name, target: group[0], message: `Select ${c.type === "radio" ? "an answer" : "at least one answer"} to: ${labelOf(c, form).replace(/\s*\(optional\)\s*$/, "")}` });
      }
      continue;
    }
    const value = (c.value || "").trim();
    if (!value) {
      if (required) {
        problems.push({ name: c.name, target: c, message: enterMessage(labelOf(c, form)) });
      }
      continue;
    }
    if (TIME_NAME.test(c.name) && !TIME.test(value)) {
      problems.push({ name: c.name, target: c, message: "Enter a time like 14:30" });
    } else if (c.pattern && !new RegExp(`^(?:${c.pattern})$`, "v").test(value)) {
      problems.push({ name: c.name, target: c, message: c.title || `Enter ${lower(labelOf(c, form))} in the right format` });
    } else if (c.maxLength > 0 && value.length > c.maxLength) {
      problems.push({ name: c.name, target: c, message: `${labelOf(c, form).replace(/\s*\(optional\)\s*$/, "")} must be ${c.maxLength} characters or fewer` });
    }
  }
  return problems;
}

// --- Showing problems, GOV.UK style ------------------------------------------------------------

const baseTitle = () => document.title.replace(/^Error: /, "");

function clearProblems(form) {
  form.parentElement.querySelector(".govuk-error-summary")?.remove();
  for (const p of form.querySelectorAll(".govuk-error-message[data-offline]")) {
    const describedBy = p.dataset.describes && document.getElementById(p.dataset.describes);
    if (describedBy) {
      const ids = (describedBy.getAttribute("aria-describedby") || "").split(/\s+/).filter((i) => i && i !== p.id);
      if (ids.length) {
        describedBy.setAttribute("aria-describedby", ids.join(" "));
      } else {
        describedBy.removeAttribute("aria-describedby");
      }
    }
    p.remove();
  }
  for (const g of form.querySelectorAll(".govuk-form-group--error")) {
    g.classList.remove("govuk-form-group--error");
  }
  for (const c of form.querySelectorAll(".govuk-input--error, .govuk-textarea--error, .govuk-select--error")) {
    c.classList.remove("govuk-input--error", "govuk-textarea--error", "govuk-select--error");
  }
  document.title = baseTitle();
}

function targetOf(form, name) {
  const esc = CSS.escape(name);
  return (
    form.querySelector(`#${esc}-day`) ||
    form.querySelector(`[name="${esc}-day"]`) ||
    form.querySelector(`[name="${esc}"]`) ||
    form.querySelector(`#${esc}`) ||
    null
  );
}

function showProblems(form, problems) {
  clearProblems(form);
  if (!problems.length) {
    return;
  }
  document.title = `Error: ${baseTitle()}`;
  const items = problems.map((p, i) => {
    const target = p.target || (p.name ? targetOf(form, p.name) : null);
    if (target && !target.id) {
      target.id = `offline-field-${i}`;
    }
    return { ...p, target };
  });
  const summary = el(
    "div",
    { class: "govuk-error-summary", tabindex: "-1" },
    el(
      "div",
      { role: "alert" },
      el("h2", { class: "govuk-error-summary__title" }, "There is a problem"),
      el(
        "div",
        { class: "govuk-error-summary__body" },
        el(
          "ul",
          { class: "govuk-list govuk-error-summary__list" },
          items.map((p) =>
            el(
              "li",
              {},
              p.target
                ? el(
                    "a",
                    {
                      href: `#${p.target.id}`,
                      onclick: (event) => {
                        event.preventDefault();
                        p.target.focus();
                        (p.target.closest(".govuk-form-group") || p.target).scrollIntoView();
                      },
                    },
                    p.message,
                  )
                : p.message,
            ),
          ),
        ),
      ),
    ),
  );
  form.before(summary);
  const done = new Set();
  for (const [i, p] of items.entries()) {
    if (!p.target) {
      continue;
    }
    const group = p.target.closest(".govuk-form-group");
    const key = group || p.target;
    const message = el(
      "p",
      { class: "govuk-error-message", id: `offline-error-${i}`, "data-offline": "yes" },
      hidden("Error:"),
      ` ${p.message}`,
    );
    if (group) {
      group.classList.add("govuk-form-group--error");
      const field = group.querySelector(FIELD_SELECTOR);
      (field || p.target).before(message);
    } else {
      p.target.before(message);
    }
    const describes = p.target.closest("fieldset") || p.target;
    message.dataset.describes = describes.id || (describes.id = `offline-described-${i}`);
    describes.setAttribute("aria-describedby", `${describes.getAttribute("aria-describedby") || ""} ${message.id}`.trim());
    for (const cls of ["input", "textarea", "select"]) {
      if (p.target.classList.contains(`govuk-${cls}`)) {
        p.target.classList.add(`govuk-${cls}--error`);
      }
    }
    if (p.name && /-(day)$/.test(p.target.name || "") && !done.has(key)) {
      for (const part of group?.querySelectorAll(".govuk-date-input__input") || []) {
        part.classList.add("govuk-input--error");
      }
    }
    done.add(key);
  }
  summary.focus();
}

function serverProblems(errors) {
  return Object.entries(errors || {}).flatMap(([name, messages]) =>
    (Array.isArray(messages) ? messages : [messages]).map((message) => ({ name: name || null, message })),
  );
}

// --- The page --------------------------------------------------------------------------------

function prepare(html) {
  const box = document.createElement("div");
  box.innerHTML = html;
  let form = box.querySelector("form");
  if (!form) {
    form = el("form", {}, ...box.childNodes);
  }
  form.removeAttribute("action");
  form.removeAttribute("enctype");
  form.setAttribute("method", "post");
  form.setAttribute("novalidate", "");
  for (const c of form.querySelectorAll('[name="csrf_token"]')) {
    c.remove();
  }
  // A photo cannot be kept on this tablet: it is added to the record online afterwards.
  for (const file of form.querySelectorAll('input[type="file"]')) {
    const group = file.closest(".govuk-form-group") || file;
    group.replaceWith(
      el("p", { class: "govuk-body", "data-offline-photo": "yes" }, "Photos cannot be kept on this tablet: add them to the record online once it has been sent."),
    );
  }
  if (!form.querySelector('button[type="submit"], button:not([type]), input[type="submit"]')) {
    form.append(el("button", { type: "submit", class: "govuk-button" }, "Save on this tablet"));
  }
  return form;
}

async function start() {
  registerWorker();
  // An ended grant's copy removed on the way is said, never silent (docs/offline.md).
  window.addEventListener("online", () =>
    sendAll().then((outcome) => (outcome.replaced ? replacedMessage() : null)),
  );
  const session = await openSession();
  if (!session) {
    return;
  }
  const pkg = Number.isInteger(premisesId) && premisesId > 0 ? await store.getPremises(session.key, premisesId) : null;
  const html = pkg?.forms?.[kind];
  loaded();
  if (!pkg || !html) {
    holder.replaceChildren(
      el("h1", { class: "govuk-heading-l" }, holder.dataset.heading),
      el("p", { class: "govuk-body" }, "This premises is not kept on this tablet for this form. ", el("a", { class: "govuk-link", href: "/offline/" }, "See the premises on this tablet")),
    );
    return;
  }
  const back = document.getElementById("offline-back");
  if (back) {
    back.href = `/offline/premises?id=${premisesId}`;
  }
  const s = pkg.summary;
  document.title = `${holder.dataset.heading} – ${s.name} – Working offline`;
  const form = prepare(html);
  holder.replaceChildren(
    el("span", { class: "govuk-caption-l" }, `${s.name}, ${s.address?.line1 || ""}`.replace(/, $/, "")),
    el("h1", { class: "govuk-heading-l" }, holder.dataset.heading),
    el("p", { class: "govuk-inset-text" }, "This is saved on this tablet and sent when there is a signal."),
    form,
  );
  let record = recordId ? await store.getRecord(session.key, recordId) : null;
  if (record && (record.kind !== kind || record.premisesId !== premisesId || record.state === "sent")) {
    record = null;
  }
  if (record) {
    fillFields(form, record.fields);
    if (record.state === "refused") {
      showProblems(form, serverProblems(record.errors));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problems = check(form);
    if (problems.length) {
      showProblems(form, problems);
      return;
    }
    clearProblems(form);
    const now = new Date();
    const saved = {
      id: record?.id || store.newId(),
      seq: record?.seq || now.getTime(),
      kind,
      premisesId,
      premisesName: s.name,
      takenVersion: pkg.version,
      acknowledgeConflict: false,
      fields: readFields(form),
      savedAt: now.toISOString(),
      state: "saved",
    };
    try {
      const current = await store.session({ refresh: false });
      await store.putRecord(current.key, saved);
    } catch (error) {
      if (error instanceof store.SignedOut) {
        holder.replaceChildren();
        signedOutMessage();
        return;
      }
      throw error;
    }
    location.assign(`/offline/?saved=${encodeURIComponent(KINDS[kind] ? kind : "record")}`);
  });

  // GOV.UK's components on the inserted form (conditional reveals, character counts), started
  // after the values are back so that they show the conditional parts chosen.
  try {
    const govuk = await import("/vendor/govuk/govuk-frontend.min.js");
    govuk.initAll({ scope: form });
  } catch {
    // Without them every part of the form is shown: nothing is lost.
  }
}

start();
