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

// ---- Blades: focus moves in when one opens; Escape (wherever the focus is), the backdrop and ✕ close
// it; focus stays inside, and goes back on close; the list behind keeps its scroll position both ways. ----
const SCROLL_KEY = "settle-scroll";

function rememberScrollFor(url, focusRow = "") {
  const target = new URL(url, location.href);
  const saved = { path: target.pathname + target.search, y: window.scrollY, focusRow };
  sessionStorage.setItem(SCROLL_KEY, JSON.stringify(saved));
  return target.pathname + target.search;
}

function restoreScroll() {
  const saved = sessionStorage.getItem(SCROLL_KEY);
  if (!saved) return false;
  sessionStorage.removeItem(SCROLL_KEY);
  const { path, y, focusRow } = JSON.parse(saved);
  if (path !== location.pathname + location.search) return false;
  window.scrollTo(0, y);
  const row = focusRow && document.getElementById(focusRow);
  const link = row && (row.querySelector("a.paynow") || row.querySelector("a"));
  if (link) link.focus({ preventScroll: true });  // back on the link that opened the blade
  return true;
}

function closeBlade(blade) {
  // Without the #row- fragment, which would scroll the list: the position it had is restored instead.
  const [, row] = blade.dataset.closeUrl.split("#");
  window.location.assign(rememberScrollFor(blade.dataset.closeUrl, row || ""));
}

function setUpBlade() {
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-opens-blade], a.paynow");
    if (link) rememberScrollFor(link.href);
  });
  const blade = document.querySelector(".blade");
  if (!blade) return;
  const title = blade.querySelector("#blade-title");
  const error = blade.querySelector("[role=alert]");
  (error || title).focus({ preventScroll: true });
  if (error && !error.hasAttribute("tabindex")) error.setAttribute("tabindex", "-1"), error.focus({ preventScroll: true });
  const backdrop = document.querySelector(".blade-backdrop");
  if (backdrop) backdrop.addEventListener("click", () => closeBlade(blade));
  for (const close of blade.querySelectorAll(".blade-close, [data-closes-blade]")) {
    close.addEventListener("click", (event) => {
      event.preventDefault();
      closeBlade(blade);
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !event.defaultPrevented) {
      closeBlade(blade);
      return;
    }
    if (event.key !== "Tab") return;
    const focusable = [...blade.querySelectorAll("a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select, textarea")]
      .filter((element) => element.offsetParent !== null);
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!blade.contains(document.activeElement)) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    } else if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
}

// ---- Select a payment method: a button that opens the saved methods and "Add a new card". ----
function setUpChooser() {
  for (const group of document.querySelectorAll("[data-chooser]")) {
    const button = group.querySelector("#method-chooser");
    const options = group.querySelector("#method-options");
    const current = group.querySelector("#chooser-current");
    const radios = [...options.querySelectorAll("input[type=radio]")];
    group.querySelector("legend").classList.add("visually-hidden");
    button.hidden = false;
    const paint = () => {
      const chosen = radios.find((radio) => radio.checked);
      const name = chosen && chosen.closest(".method").querySelector(".method-name");
      current.textContent = name ? name.textContent.trim() : "";
    };
    const setOpen = (open) => {
      options.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
    };
    setOpen(group.hasAttribute("data-open"));
    paint();
    button.addEventListener("click", () => {
      const opening = options.hidden;
      setOpen(opening);
      if (opening) (radios.find((radio) => radio.checked && !radio.disabled) || radios.find((radio) => !radio.disabled) || button).focus();
    });
    button.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && options.hidden) {
        event.preventDefault();
        button.click();
      }
    });
    options.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {  // closes the list first, then (a second Escape) the blade
        event.preventDefault();
        setOpen(false);
        button.focus();
      }
    });
    for (const radio of radios) {
      radio.addEventListener("change", paint);
      // A click (not the arrow keys moving through the list) chooses, and the list closes, but "Add a new card" stays open to type it.
      radio.addEventListener("click", (event) => {
        if (event.detail > 0 && radio.value !== "new") {
          setOpen(false);
          button.focus();
        }
      });
    }
  }
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
    const expiry = form.querySelector("#card-expiry");
    if (expiry) formatExpiryAsTyped(expiry);  // in the blade and on the Payment methods page alike
    const option = form.querySelector("#method-new");
    const fields = form.querySelector("#new-card");
    if (!option || !fields) continue;
    if (option.hasAttribute("data-check-when-ready")) option.checked = true;
    const show = () => { fields.hidden = !option.checked; };
    for (const radio of form.querySelectorAll("input[name=payment_method_id]")) radio.addEventListener("change", show);
    show();
  }
}

function formatExpiryAsTyped(expiry) {
  expiry.addEventListener("input", (event) => {
    const deleting = event.inputType && event.inputType.startsWith("delete");
    const digits = expiry.value.replace(/\D/g, "").slice(0, 4);
    if (deleting && digits.length <= 2) expiry.value = digits;  // backspace over the slash works
    else expiry.value = digits.length >= 2 ? `${digits.slice(0, 2)}/${digits.slice(2)}` : digits;
  });
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

// ---- A page brought back from the browser's back-forward cache is asked for again: after a payment or a
// sign-out it must not show (or let anyone send again) what it showed before. ----
window.addEventListener("pageshow", (event) => {
  if (event.persisted) window.location.reload();
});

for (const button of document.querySelectorAll("button[type=submit]")) button.dataset.label = button.textContent;
const scrollRestored = restoreScroll();
setUpBlade();
if (!scrollRestored) focusRowFromHash();
setUpNewCard();
setUpChooser();
setUpSearch();
