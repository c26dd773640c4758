// crm-agent web app: live chat steps (server-sent events over fetch), deal board drag and drop,
// confirmations. Everything here degrades to plain forms and links without JavaScript.
"use strict";

const csrf = () => document.body.dataset.csrf || "";

function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  const node = template.content.firstElementChild;
  if (window.htmx && node) window.htmx.process(node);
  return node;
}

// Read a text/event-stream response and call onEvent(name, data) for each event.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

// POST a form and stream the run's progress into `turn` (an <article class="turn">).
async function streamInto(url, body, turn) {
  const steps = () => turn.querySelector(".steps");
  let finished = false;
  try {
    const response = await fetch(url, {
      method: "POST",
      body,
      headers: { "X-CSRF-Token": csrf(), Accept: "text/event-stream" },
      credentials: "same-origin",
    });
    if (response.redirected || response.status === 401) { window.location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); return; }
    if (!response.ok) {
      const text = await response.text();
      let message = "The request failed (" + response.status + ").";
      try { message = JSON.parse(text).message || message; } catch (e) { /* HTML error page */ }
      throw new Error(message);
    }
    await readEvents(response, (name, data) => {
      if (name === "start") {
        const node = fragment(data.html);
        turn.replaceWith(node);
        turn = node;
      } else if (name === "step") {
        let list = steps();
        if (!list) { list = document.createElement("ol"); list.className = "steps"; turn.querySelector(".agent").prepend(list); }
        const node = fragment(data.html);
        node.classList.add("live");
        const old = list.querySelector('[data-position="' + data.position + '"]');
        if (old) old.replaceWith(node); else list.appendChild(node);
      } else if (name === "done") {
        finished = true;
        const node = fragment(data.html);
        turn.replaceWith(node);
        turn = node;
        const conversation = document.getElementById("conversation_id");
        if (conversation && data.conversation) {
          conversation.value = data.conversation;
          const url = new URL(window.location.href);
          url.searchParams.set("c", data.conversation);
          window.history.replaceState(null, "", url);
        }
      } else if (name === "error") {
        finished = true;
        turn.removeAttribute("aria-busy");
        const working = turn.querySelector(".working");
        if (working) working.remove();
        turn.querySelector(".agent").appendChild(fragment(data.html));
      }
    });
  } catch (error) {
    const alert = document.createElement("div");
    alert.className = "alert alert-error";
    alert.setAttribute("role", "alert");
    alert.textContent = error.message || String(error);
    (turn.querySelector(".agent") || turn).appendChild(alert);
    finished = true;
  }
  if (!finished) {
    const working = turn.querySelector(".working");
    if (working) working.textContent = "The connection closed before the run finished; see Runs for its outcome.";
  }
  return turn;
}

function setupChat() {
  const form = document.getElementById("chat-form");
  if (!form) return;
  const message = form.querySelector("#message");
  const button = form.querySelector("#send");
  const turns = document.getElementById("turns");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = message.value.trim();
    if (!text) { message.focus(); return; }
    const body = new FormData(form);
    const placeholder = document.createElement("article");
    placeholder.className = "turn pending";
    placeholder.innerHTML = '<div class="agent"><div class="working"><span class="spinner" aria-hidden="true"></span> Sending…</div></div>';
    turns.appendChild(placeholder);
    placeholder.scrollIntoView({ block: "start" });
    message.value = "";
    button.disabled = true;
    const examples = form.querySelector(".examples");
    if (examples) examples.remove();
    try {
      await streamInto(form.action, new URLSearchParams(body), placeholder);
      form.scrollIntoView({ block: "end" });
    } finally {
      button.disabled = false;
      message.focus();
    }
  });
  message.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit(); }
  });
  form.querySelectorAll("[data-example]").forEach((b) => b.addEventListener("click", () => { message.value = b.dataset.example; message.focus(); }));
}

// Approve buttons inside a chat turn stream the execution into the turn.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); event.stopImmediatePropagation(); return; }
  if (!form.dataset.stream) return;
  const turn = form.closest(".turn");
  if (!turn) return;
  event.preventDefault();
  form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  const approval = form.closest(".approval");
  if (approval) approval.innerHTML = '<div class="working"><span class="spinner" aria-hidden="true"></span> Running the approved plan…</div>';
  await streamInto(form.dataset.stream, new URLSearchParams(new FormData(form)), turn);
}, true);

// Deal board: drag a card onto another column to move the deal (PATCH /deals/{id}).
function setupBoard() {
  const board = document.querySelector(".board");
  if (!board) return;
  const status = document.getElementById("board-status");
  const announce = (text) => { if (status) status.textContent = text; };
  let dragged = null;
  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest(".deal-card");
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.deal);
  });
  board.addEventListener("dragend", () => { if (dragged) dragged.classList.remove("dragging"); dragged = null; });
  board.querySelectorAll(".column").forEach((column) => {
    column.addEventListener("dragover", (event) => { if (dragged) { event.preventDefault(); column.classList.add("drag-over"); } });
    column.addEventListener("dragleave", (event) => { if (!column.contains(event.relatedTarget)) column.classList.remove("drag-over"); });
    column.addEventListener("drop", async (event) => {
      event.preventDefault();
      column.classList.remove("drag-over");
      const card = dragged || document.getElementById("deal-" + event.dataTransfer.getData("text/plain"));
      if (!card) return;
      const from = card.closest(".column");
      if (from === column) return;
      await moveCard(card, from, column, announce);
    });
  });
}

function updateColumn(column, deltaCount, deltaAmount) {
  const count = column.querySelector("[data-count]");
  if (count) count.textContent = String(Number(count.textContent) + deltaCount);
  const sum = column.querySelector("[data-sum]");
  if (sum) {
    const value = Number(sum.dataset.sum) + deltaAmount;
    sum.dataset.sum = String(value);
    sum.textContent = shortMoney(value, column.closest(".board").dataset.symbol || "$");
  }
}

// The server's money(short=True): $950, $8.5k, $1.2M.
function shortMoney(value, symbol) {
  const units = [[1e9, "B"], [1e6, "M"], [1e3, "k"]];
  for (const [limit, suffix] of units) {
    if (Math.abs(value) >= limit) return symbol + String(Number((value / limit).toFixed(1))) + suffix;
  }
  return symbol + String(Math.round(value));
}

async function moveCard(card, from, to, announce) {
  const stage = to.dataset.stage;
  const amount = Number(card.dataset.amount || 0);
  to.querySelector(".cards").prepend(card);
  card.classList.add("saving");
  const name = card.querySelector("a").textContent;
  const label = to.querySelector("h2 span").textContent;
  try {
    const response = await fetch("/deals/" + card.dataset.deal, {
      method: "PATCH",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      credentials: "same-origin",
      body: JSON.stringify({ properties: { dealstage: stage } }),
    });
    if (!response.ok) {
      let message = "Could not move the deal (" + response.status + ").";
      try { message = (await response.json()).message || message; } catch (e) { /* not JSON */ }
      throw new Error(message);
    }
    updateColumn(from, -1, -amount);
    updateColumn(to, 1, amount);
    const select = card.querySelector("select[name=dealstage]");
    if (select) select.value = stage;
    announce("Moved " + name + " to " + label + ".");
    showFlash("Moved " + name + " to " + label + ".", "success");
  } catch (error) {
    from.querySelector(".cards").prepend(card);
    announce(error.message);
    showFlash(error.message, "error");
  } finally {
    card.classList.remove("saving");
  }
}

function showFlash(text, kind) {
  const flash = document.getElementById("flash");
  if (!flash) return;
  const alert = document.createElement("div");
  alert.className = "alert alert-" + kind;
  alert.setAttribute("role", kind === "error" ? "alert" : "status");
  alert.textContent = text;
  flash.replaceChildren(alert);
}

// <select class="auto-submit"> submits its form on change.
document.addEventListener("change", (event) => {
  if (event.target.matches("select.auto-submit")) event.target.form.requestSubmit();
});

document.addEventListener("DOMContentLoaded", () => { setupChat(); setupBoard(); });
