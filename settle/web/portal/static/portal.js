// Settle portal: small progressive enhancements. Every page works without this file, except adding
// a new card, whose number must go from the browser straight to the processor.
"use strict";

// ---- Forms are sent once: a second click while the first is on its way does nothing. ----
function sendOnce(form) {
  if (form.dataset.sending === "yes") return false;
  form.dataset.sending = "yes";
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    if (button.dataset.working) button.textContent = button.dataset.working;
  }
  return true;
}

function allowAgain(form) {
  delete form.dataset.sending;
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    if (button.dataset.label) button.textContent = button.dataset.label;
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches("[data-tokenize-url]") && newCardChosen(form)) {
    event.preventDefault();
    if (form.dataset.sending !== "yes") tokenizeThenSubmit(form);
    return;
  }
  if (!sendOnce(form)) event.preventDefault();
});

// ---- Blades: focus moves in when one opens, Escape closes, focus stays inside, and back on close. ----
function setUpBlade() {
  const blade = document.querySelector(".blade");
  if (!blade) return;
  const title = blade.querySelector("#blade-title");
  const error = blade.querySelector("[role=alert]");
  (error || title).focus();
  if (error && !error.hasAttribute("tabindex")) error.setAttribute("tabindex", "-1"), error.focus();
  blade.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      window.location.assign(blade.dataset.closeUrl);
      return;
    }
    if (event.key !== "Tab") return;
    const focusable = [...blade.querySelectorAll("a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select, textarea")]
      .filter((element) => element.offsetParent !== null);
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
}

function focusRowFromHash() {
  // Back from a blade: the link that opened it gets the focus again.
  if (document.querySelector(".blade") || !location.hash.startsWith("#row-")) return;
  const row = document.getElementById(location.hash.slice(1));
  const link = row && (row.querySelector("a.paynow") || row.querySelector("a"));
  if (link) link.focus();
}

// ---- A new card: validated here, tokenised at the processor, and only the token sent to Settle. ----
function newCardChosen(form) {
  if (form.hasAttribute("data-card-form")) return true;
  const chosen = form.querySelector("input[name=payment_method_id]:checked");
  return chosen !== null && chosen.value === "new";
}

function setUpNewCard() {
  for (const element of document.querySelectorAll("[data-needs-js]")) element.disabled = false;
  for (const element of document.querySelectorAll("[data-without-js]")) element.hidden = true;
  for (const form of document.querySelectorAll("form[data-tokenize-url]")) {
    const option = form.querySelector("#method-new");
    const fields = form.querySelector("#new-card");
    if (!option || !fields) continue;
    if (option.hasAttribute("data-check-when-ready")) option.checked = true;
    const show = () => { fields.hidden = !option.checked; };
    for (const radio of form.querySelectorAll("input[name=payment_method_id]")) radio.addEventListener("change", show);
    show();
    const expiry = form.querySelector("#card-expiry");
    expiry.addEventListener("input", () => {
      const digits = expiry.value.replace(/\D/g, "").slice(0, 4);
      expiry.value = digits.length > 2 ? `${digits.slice(0, 2)}/${digits.slice(2)}` : digits;
    });
  }
}

function luhnValid(digits) {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return digits.length >= 12 && digits.length <= 19 && sum % 10 === 0;
}

function readCard(form) {
  const number = form.querySelector("#card-number").value.replace(/[\s-]/g, "");
  const [month, year] = form.querySelector("#card-expiry").value.split("/").map((part) => Number(part));
  return {
    number,
    exp_month: month,
    exp_year: year < 100 ? 2000 + year : year,
    cvc: form.querySelector("#card-cvc").value.trim(),
    holder: form.querySelector("#card-holder").value.trim(),
  };
}

function cardProblems(form, card) {
  const messages = form.dataset;
  const problems = {};
  if (!/^\d+$/.test(card.number) || !luhnValid(card.number)) problems["card-number"] = messages.msgNumber;
  const now = new Date();
  if (!(card.exp_month >= 1 && card.exp_month <= 12) || !(card.exp_year >= 2000)) {
    problems["card-expiry"] = messages.msgExpiry;
  } else if (card.exp_year < now.getFullYear() || (card.exp_year === now.getFullYear() && card.exp_month < now.getMonth() + 1)) {
    problems["card-expiry"] = messages.msgExpired;
  }
  const cvcLength = /^3[47]/.test(card.number) ? 4 : 3;
  if (!new RegExp(`^\\d{${cvcLength}}$`).test(card.cvc)) problems["card-cvc"] = messages.msgCvc.replace("{length}", cvcLength);
  if (!card.holder) problems["card-holder"] = messages.msgHolder;
  return problems;
}

function showProblems(form, problems) {
  let first = null;
  for (const id of ["card-number", "card-expiry", "card-cvc", "card-holder"]) {
    const input = form.querySelector(`#${id}`);
    const message = form.querySelector(`#${id}-error`);
    message.textContent = problems[id] || "";
    input.setAttribute("aria-invalid", problems[id] ? "true" : "false");
    if (problems[id] && !first) first = input;
  }
  if (first) first.focus();
  return first === null;
}

const PROCESSOR_FIELDS = {
  InvalidCardNumber: ["card-number", "msgNumber"],
  InvalidExpiry: ["card-expiry", "msgExpiry"],
  CardExpiredAtTokenization: ["card-expiry", "msgExpired"],
  InvalidCvc: ["card-cvc", "msgCvc"],
};

async function tokenizeThenSubmit(form) {
  const card = readCard(form);
  if (!showProblems(form, cardProblems(form, card))) return;
  sendOnce(form);
  try {
    const answer = await fetch(form.dataset.tokenizeUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${form.dataset.publishableKey}` },
      body: JSON.stringify(card),
      credentials: "omit",
    });
    const body = await answer.json();
    if (!answer.ok) {
      const known = PROCESSOR_FIELDS[body.error && body.error.code];
      const problems = {};
      if (known) problems[known[0]] = form.dataset[known[1]].replace("{length}", (body.error.params || {}).length || 3);
      else problems["card-number"] = form.dataset.msgUnavailable;
      allowAgain(form);
      showProblems(form, problems);
      return;
    }
    form.querySelector("#card-token").value = body.token;
    for (const id of ["card-number", "card-expiry", "card-cvc"]) form.querySelector(`#${id}`).value = "";
    form.submit();
  } catch (failure) {
    allowAgain(form);
    showProblems(form, { "card-number": form.dataset.msgUnavailable });
  }
}

// ---- Global search: suggestions as you type; Enter opens the first (or the chosen) one. ----
function setUpSearch() {
  const input = document.getElementById("search");
  const list = document.getElementById("search-results");
  if (!input || !list) return;
  let hits = [];
  let active = -1;
  let asked = 0;
  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const paint = () => {
    list.replaceChildren(...hits.map((hit, index) => {
      const item = document.createElement("li");
      item.id = `search-hit-${index}`;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", index === active ? "true" : "false");
      const label = document.createElement("span");
      label.textContent = hit.label;
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = hit.kind;
      item.append(label, kind);
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        window.location.assign(hit.url);
      });
      return item;
    }));
    list.hidden = hits.length === 0;
    input.setAttribute("aria-expanded", hits.length ? "true" : "false");
    if (active >= 0) input.setAttribute("aria-activedescendant", `search-hit-${active}`);
    else input.removeAttribute("aria-activedescendant");
  };
  input.addEventListener("input", async () => {
    const text = input.value.trim();
    const ticket = ++asked;
    if (!text) {
      hits = [];
      close();
      return;
    }
    const answer = await fetch(`/search/suggest?q=${encodeURIComponent(text)}`, { headers: { Accept: "application/json" } });
    if (ticket !== asked || !answer.ok) return;
    hits = (await answer.json()).hits;
    active = -1;
    paint();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && hits.length) {
      event.preventDefault();
      active = (active + 1) % hits.length;
      paint();
    } else if (event.key === "ArrowUp" && hits.length) {
      event.preventDefault();
      active = (active - 1 + hits.length) % hits.length;
      paint();
    } else if (event.key === "Escape") {
      close();
    } else if (event.key === "Enter" && hits.length && !list.hidden) {
      event.preventDefault();
      window.location.assign(hits[Math.max(active, 0)].url);
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
}

// ---- Confirmations for destructive buttons (remove a card, a role assignment). ----
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

for (const button of document.querySelectorAll("button[type=submit]")) button.dataset.label = button.textContent;
setUpBlade();
focusRowFromHash();
setUpNewCard();
setUpSearch();
