// The community's page: plain JavaScript, no framework, no build step; the only dependency is the
// vendored keccak-256 (js-sha3 0.9.3, MIT) for commitments and direct transactions.
// Every number shown keeps its exact value in data-raw; it is marked "unverified" whenever the
// relay's last comparison with the contracts failed or is stale.

const ETH = "0x0000000000000000000000000000000000000000";
const $ = (selector, root = document) => root.querySelector(selector);
const state = { info: null, members: [], contributions: [], treasury: null, proposals: [], verification: null,
                provider: null, account: null, chainOk: false, titles: {} };

// ------------------------------------------------------------------ data

async function api(path, options = {}) {
  const init = { ...options, headers: { ...(options.headers || {}) } };
  if (options.json !== undefined) {
    init.method = init.method || "POST";
    init.body = JSON.stringify(options.json);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {  // the browser's "Failed to fetch": the relay is down or the network is
    offline(true);
    throw new Error(`the relay at ${location.host} cannot be reached: check your connection, or try again in a minute`);
  }
  offline(false);
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {  // RFC 9457 problem details: detail is the plain sentence (the CLI's, for a contract's error)
    const problem = body || {};
    const error = new Error(typeof problem.detail === "string" ? problem.detail : problem.title || `the relay answered ${response.status}`);
    error.code = problem.code; error.contractError = problem.contractError;
    throw error;
  }
  return body;
}

// new numbers redraw the page, never under a member using a form: the Act page, a form being filled
// in (focus in it) or one whose progress is still shown (a "Waiting for you" item, a contribution's Review)
function redrawable() {
  if (location.hash.startsWith("#/act")) return false;
  const focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest("#main form") : null;
  return !focused && !document.querySelector("#main form .progress:not(:empty)");
}

// the relay cannot be reached: the badge says so at once, and every number on the page is stale
function offline(down) {
  if (Boolean(state.offline) === down) return;
  state.offline = down ? Math.floor(Date.now() / 1000) : null;
  showVerification();
  if (!down) {  // back: read every number again (what happened meanwhile), without redrawing a form being filled
    setTimeout(async () => {
      try { await load(); if (redrawable()) render(); } catch { /* said by the badge */ }
    }, 0);
  }
}

async function load() {
  const [info, members, contributions, treasury, proposals, verification] = await Promise.all([
    api("/v1/info"), api("/v1/members"), api("/v1/contributions?limit=1000"), api("/v1/treasury"),
    api("/v1/proposals"), api("/v1/verification"),
  ]);
  Object.assign(state, { info, members, contributions, treasury, proposals, verification });
  state.clockOffset = info.chainTime - Math.floor(Date.now() / 1000);  // a dev chain may run ahead of the wall clock
  showVerification();
  revealDue();  // in the background: ratings sealed here whose window has closed
}

function verified() {
  const v = state.verification;
  return Boolean(v && v.ok === true && !v.stale && !state.offline && !(state.info && state.info.healthy === false));
}

function showVerification() {
  const badge = $("#verified");
  const v = state.verification;
  badge.className = "badge " + (verified() ? "ok" : "bad");
  for (const n of document.querySelectorAll("span.n")) n.classList.toggle("unverified", !verified());
  if (state.offline) badge.textContent = `offline: the relay at ${location.host} cannot be reached; numbers shown are from ${new Date(state.offline * 1000).toLocaleTimeString()} or earlier`;
  else if (state.info && state.info.healthy === false) badge.textContent = "the relay cannot follow the chain or send right now: numbers may be stale, actions may wait";
  else if (!v || v.ok === null) badge.textContent = "not checked against the contracts yet: numbers are unverified";
  else if (!v.ok) badge.textContent = `NOT verified: ${v.failures.length} of ${v.checks} checks differ (block ${v.block})`;
  else if (v.stale) badge.textContent = `unverified: the last check (block ${v.block}) is ${Math.round(v.age)} s old`;
  else badge.textContent = `verified: ${v.checks} checks equal the contracts at block ${v.block} (${when(v.at)})`;
}

// ------------------------------------------------------------------ formatting

function units(raw, decimals = 18, digits = 6) {
  const value = BigInt(raw || "0");
  const base = 10n ** BigInt(decimals);
  const whole = value / base;
  const frac = (value % base).toString().padStart(decimals, "0").slice(0, digits).replace(/0+$/, "");
  return whole.toLocaleString("en-US") + (frac ? "." + frac : "");
}
const symbol = (token) => (token === ETH ? "ETH" : token.slice(0, 8) + "…");
const short = (address) => address.slice(0, 6) + "…" + address.slice(-4);
const esc = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
// dates in the reader's own time zone and words ("Dec 6, 2026, 9:30 PM")
function when(seconds) { return new Date(seconds * 1000).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }); }
function day(seconds) { return new Date(seconds * 1000).toLocaleDateString([], { dateStyle: "medium" }); }
function minutesText(minutes) { return minutes < 60 ? `${minutes} min` : hoursText(minutes); }
function hoursText(minutes) { return minutes % 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes / 60} hour${minutes === 60 ? "" : "s"}`; }
function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds)); const d = Math.floor(s / 86400); const h = Math.floor((s % 86400) / 3600);
  return d ? `${d} d ${h} h` : `${h} h ${Math.floor((s % 3600) / 60)} min`;
}
function num(raw, text, field) {
  return `<span class="n${verified() ? "" : " unverified"}" data-field="${field || ""}" data-raw="${esc(raw)}">${esc(text)}</span>`;
}
const chainNow = () => Math.floor(Date.now() / 1000) + (state.clockOffset || 0);
function shareOf(points, total) { return total === 0n ? "0" : (Number((BigInt(points) * 10000n) / total) / 100).toFixed(2); }

// ------------------------------------------------------------------ pages

const routes = {
  "": overview, members: membersPage, member: memberPage, contributions: contributionsPage,
  contribution: contributionPage, governance: governancePage, act: actPage, hosts: hostsPage,
};

let rendering = 0;
async function render() {  // the latest navigation wins: a slow page never overwrites a newer one
  const ticket = ++rendering; const connected = state.connected || 0;
  const [name, arg] = location.hash.replace(/^#\/?/, "").split("/");
  const main = $("#main");
  let html;
  try {
    html = await (routes[name] || overview)(arg);
  } catch (error) {
    html = `<p class="error" role="alert">${esc(error.message)}</p>`;
  }
  if (ticket !== rendering) return;
  main.innerHTML = html;
  for (const box of main.querySelectorAll(".scroll")) {
    box.insertAdjacentHTML("afterend", '<p class="scroll-hint" aria-hidden="true">← the table scrolls sideways: swipe it to see every column →</p>');
  }
  markScrolls();
  bindForms(main);
  document.title = "Starfish DAO" + (name ? " — " + name : "");
  main.dataset.route = routes[name] ? name : "";
  main.dataset.connected = String(connected);  // drawn for the latest wallet connection: a form filled now stays
}

// a table wider than the screen scrolls inside its box, and says so under it
function markScrolls() {
  for (const box of document.querySelectorAll("#main .scroll")) box.classList.toggle("overflows", box.scrollWidth > box.clientWidth + 1);
}
window.addEventListener("resize", markScrolls);

async function overview() {
  const t = state.treasury.tokens;
  const cards = Object.entries(t).map(([token, b]) => `
    <div class="card" data-token="${token}"><div>${symbol(token)} in the treasury</div>
      <div class="value">${num(b.treasury, units(b.treasury), "treasury")} ${symbol(token)}</div>
      <div>undistributed ${num(b.undistributed, units(b.undistributed), "undistributed")} ${symbol(token)}</div>
      <div>received ${num(b.received, units(b.received), "received")}, paid out ${num(b.claimed, units(b.claimed), "claimed")} ${symbol(token)}</div></div>`).join("");
  const params = state.info.charter.parameters;
  const shown = state.info.charter.shown || {};  // in people's units ("3 days", "10 %", "1 point"); raw in data-raw
  const rows = Object.entries(params).map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td class="num" data-param="${k}" data-raw="${esc(v)}">${esc(shown[k] || v)}</td></tr>`).join("");
  let document = "";
  try {
    const doc = await api("/v1/charter/document");
    document = doc.text ? `<pre class="charter">${esc(doc.text)}</pre><p class="mono">${esc(doc.cid)}</p>` : `<p class="unverified">the charter document is not in this relay's IPFS store: <span class="mono">${esc(doc.cid)}</span></p>`;
  } catch (error) { document = `<p class="error">${esc(error.message)}</p>`; }
  const active = state.members.filter((m) => m.member);
  return `${await forYou()}<h2>Treasury and revenue</h2><div class="cards">${cards}</div>
    <h2>Revenue over time</h2>${revenueChart()}
    <h2>Members and their points</h2><p>${active.length} members; ${state.members.length} accounts that hold or held points.</p>
    ${pointsChart()}
    <h2>Charter</h2><div class="scroll"><table><caption class="skip">Charter parameters</caption><tbody>${rows}</tbody></table></div>
    ${document}
    <h2>Verification</h2>${verificationDetail()}`;
}

function verificationDetail() {
  const v = state.verification;
  if (!v || v.ok === null) return "<p>The relay has not compared its numbers with the contracts yet.</p>";
  const failures = v.failures.map((f) => `<li class="mono">${esc(f)}</li>`).join("");
  return `<p>Last run at block ${v.block} (${when(v.at)}), every ${v.interval} s: ${v.checks} checks,
    ${v.ok ? "all equal to the contracts' own views." : "some differ:"}</p>${failures ? `<ul>${failures}</ul>` : ""}`;
}

function revenueChart() {
  const history = state.treasury.revenue || [];
  if (!history.length) return "<p>No revenue yet.</p>";
  const series = {};
  for (const e of history) {
    (series[e.token] = series[e.token] || []).push([e.timestamp, BigInt(e.amount)]);
  }
  const t0 = history[0].timestamp; const t1 = Math.max(history[history.length - 1].timestamp, t0 + 1);
  const width = 600; const height = 160; let paths = ""; let legend = ""; const colors = ["#0b5cad", "#a4420b", "#17622f", "#6b2fa4"];
  Object.entries(series).forEach(([token, points], i) => {
    let total = 0n; const cumulative = points.map(([t, a]) => [t, (total += a)]);
    const max = Number(total) || 1; let d = `M 0 ${height}`;
    for (const [t, c] of cumulative) {
      const x = ((t - t0) / (t1 - t0)) * (width - 10) + 5; const y = height - (Number(c) / max) * (height - 10) - 5;
      d += ` L ${x.toFixed(1)} ${y.toFixed(1)}`;
    }
    paths += `<path d="${d}" fill="none" stroke="${colors[i % 4]}" stroke-width="2"/>`;
    legend += `<li><span style="color:${colors[i % 4]}" aria-hidden="true">■</span> ${symbol(token)}: ${units(total.toString())} received in ${points.length} payments</li>`;
  });
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="Cumulative revenue per token over time">${paths}</svg>
    <ul>${legend}</ul><p>${when(t0)} to ${when(t1)}</p>`;
}

function pointsChart() {
  const holders = state.members.filter((m) => BigInt(m.points) > 0n).sort((a, b) => (BigInt(b.points) > BigInt(a.points) ? 1 : -1));
  const total = holders.reduce((s, m) => s + BigInt(m.points), 0n);
  if (!holders.length) {
    const genesis = state.members.filter((m) => BigInt(m.standing || "0") > 0n).length;
    return `<p>Nobody holds points yet: revenue waits for the first accepted work.${genesis ? ` ${genesis} founders hold genesis standing, which weighs reviews and votes and earns nothing.` : ""}</p>`;
  }
  // HTML bars, not an SVG scaled down: the labels keep the page's own size on a phone
  const rows = holders.slice(0, 20).map((m) => {
    const share = Number(shareOf(m.points, total));
    return `<li><span class="who" title="${esc(m.address)}">${esc(nameOf(m.address, true))}</span>
      <span class="track"><span class="bar" style="width:${share.toFixed(2)}%"></span></span><span class="pct">${share.toFixed(2)} %</span></li>`;
  }).join("");
  return `<ol class="bars" aria-label="Share of all points per member">${rows}</ol>`;
}

function membersPage() {
  const tokens = state.info.charter.revenueTokens;
  const total = state.members.reduce((s, m) => s + BigInt(m.points), 0n);
  const head = tokens.map((t) => `<th class="num" scope="col">claimed ${symbol(t)}</th><th class="num" scope="col">claimable ${symbol(t)}</th>`).join("");
  const body = state.members.map((m) => {
    const accepted = state.contributions.filter((c) => c.author === m.address && c.status === "accepted").length;
    const money = tokens.map((t) => `<td class="num">${num(m.claimed[t] || "0", units(m.claimed[t] || "0"), "claimed:" + t)}</td>
      <td class="num">${num(m.claimable[t] || "0", units(m.claimable[t] || "0"), "claimable:" + t)}</td>`).join("");
    const status = m.suspended ? "suspended" : m.member ? "member" : "left";
    return `<tr data-member="${m.address}"><td><a href="#/member/${m.address}" title="${m.address}">${esc(nameOf(m.address))}</a></td>
      <td>${status}</td><td data-raw="${m.joined || ""}">${m.joined ? day(m.joined) : "–"}</td><td class="num">${num(m.points, units(m.points, 18, 2), "points")}</td>
      <td class="num">${shareOf(m.points, total)} %</td>${money}<td class="num">${accepted}</td></tr>`;
  }).join("");
  return `<h2>Members</h2><div class="scroll"><table><thead><tr><th scope="col">member</th><th scope="col">status</th><th scope="col">joined</th>
    <th class="num" scope="col">points</th><th class="num" scope="col">share</th>${head}<th class="num" scope="col">accepted work</th></tr></thead>
    <tbody>${body}</tbody></table></div>`;
}

async function memberPage(address) {
  const [m, history] = await Promise.all([api(`/v1/members/${address}`), api(`/v1/members/${address}/history`)]);
  const work = history.contributions.map((c) => `<li><a href="#/contribution/${c.id}">#${c.id}</a>: ${minutesText(c.effort)}, ${c.status}, ${units(c.points, 18, 2)} points (${when(c.submitted)})</li>`).join("") || "<li>none</li>";
  const reviews = history.reviews.map((r) => `<li><a href="#/contribution/${r.contribution}">#${r.contribution}</a>: ${r.stars} stars, weight ${units(r.weight, 18, 2)}</li>`).join("") || "<li>none</li>";
  const money = Object.entries(m.claimable).map(([t, v]) => `<li>${symbol(t)}: claimable ${num(v, units(v), "claimable:" + t)}, paid ${num(m.claimed[t], units(m.claimed[t]), "claimed:" + t)}</li>`).join("");
  const reviewPay = (m.reviewPay || []).map((e) => {
    const state = e.forfeited ? "forfeited (a sealed rating never opened)" : e.closed ? "closed" : "open: ratings are scored until a week after the epoch ends";
    const paid = Object.entries(e.claimed).map(([t, v]) => `${num(v, units(v), "review-paid:" + e.epoch + ":" + t)} ${symbol(t)}`).join(", ") || "nothing yet";
    const owed = Object.entries(e.owed).map(([t, v]) => `<button type="button" class="secondary" data-review-pay="${e.epoch}" data-token="${esc(t)}" data-reviewer="${esc(m.address)}">Claim ${units(v)} ${symbol(t)}</button>`).join(" ");
    return `<li>epoch ${e.epoch}: ${e.revealed} ratings, ${e.scored} scored, score ${e.total}; ${state}; paid ${paid} ${owed}</li>`;
  }).join("") || "<li>no ratings opened yet</li>";
  return `<h2 class="mono">${esc(m.address)}</h2><p>${m.member ? "member" : "not a member"}${m.suspended ? ", suspended" : ""};
    ${num(m.points, units(m.points, 18, 2), "points")} points${history.joined ? "; joined " + when(history.joined) : ""}.</p>
    <form class="name" data-name-for="${esc(m.address.toLowerCase())}"><label>Your name for this member (kept in this browser only)
      <input name="name" maxlength="40" value="${esc(names()[m.address.toLowerCase()] || "")}" placeholder="${esc(short(m.address))}"></label>
      <button type="submit" class="secondary">Save the name</button></form>
    <p><a class="feed" href="/v1/members/${esc(m.address)}/feed.atom" type="application/atom+xml">Follow what waits for ${short(m.address)}</a>
    (an Atom feed: work to review, pay to claim, votes; in any feed reader)</p>
    <h2>Pay</h2><ul>${money}</ul>
    <h2>Review pay</h2><p>Paid for how closely each rating tracked its work's median (a constant rating earns nothing; anyone may claim it, it always pays the reviewer).</p><ul>${reviewPay}</ul>
    <h2>Contributions</h2><ul>${work}</ul><h2>Reviews given</h2><ul>${reviews}</ul>`;
}

function contributionsPage() {
  const now = chainNow();
  const rows = state.contributions.slice().reverse().map((c) => {
    const left = c.status === "pending" ? (c.reviewDeadline > now ? `open, ${duration(c.reviewDeadline - now)} left` : "closed: finalize it") : c.status;
    return `<tr data-contribution="${c.id}"><td><a href="#/contribution/${c.id}">#${c.id}</a></td><td>${esc(nameOf(c.author))}</td>
      <td class="num" data-raw="${c.effort}">${minutesText(c.effort)}</td><td>${left}</td><td class="num">${c.reviews.length}</td>
      <td class="num">${units(c.weight, 18, 2)} / ${units(c.quorumWeight, 18, 2)}</td>
      <td class="num">${c.median === null ? "–" : c.median}</td><td class="num">${num(c.points, units(c.points, 18, 2), "points")}</td></tr>`;
  }).join("");
  return `<h2>Contributions</h2><div class="scroll"><table><thead><tr><th scope="col">id</th><th scope="col">author</th>
    <th class="num" scope="col">effort</th><th scope="col">status</th><th class="num" scope="col">reviews</th>
    <th class="num" scope="col">standing / quorum</th><th class="num" scope="col">median</th><th class="num" scope="col">points</th></tr></thead>
    <tbody>${rows || '<tr><td colspan="8">No work yet.</td></tr>'}</tbody></table></div>`;
}

async function contributionPage(id) {
  const c = await api(`/v1/contributions/${id}`);
  const reviews = await Promise.all(c.reviews.map(async (r) => {
    let comment = "";
    if (r.commentCid) {
      try { comment = await (await fetch(`/v1/artifacts/${r.commentCid}`)).text(); } catch { comment = "(comment not retrievable)"; }
    }
    return `<li>${r.stars} stars from <span title="${esc(r.reviewer)}">${esc(nameOf(r.reviewer))}</span> (weight ${units(r.weight, 18, 2)})${comment ? ": " + esc(comment) : ""}</li>`;
  }));
  const tally = c.weights.map((w, s) => `<li>${s} stars: ${units(w, 18, 2)} points of standing</li>`).join("");
  let content = { verdict: "unavailable", message: "not checked: the relay could not be asked" };
  try { content = await api(`/v1/contributions/${id}/content`); } catch { /* said below */ }
  const contentLine = `<p class="content-check ${content.verdict}" data-verdict="${esc(content.verdict)}">${content.verdict === "mismatch" ? "<strong>Warning:</strong> " : ""}${esc(content.message)}</p>`;
  const now = chainNow();
  const status = c.status === "pending" ? (c.reviewDeadline > now ? `open for review, ${duration(c.reviewDeadline - now)} left` : "window closed: anyone may finalize")
    : c.status === "accepted" ? `accepted at a weighted median of ${c.median}: ${units(c.points, 18, 2)} points` : c.status;
  // its action, here: review it (open, not yours, not reviewed yet) or finalize it (window closed)
  const me = state.account; let act = "";
  const stars = `<label>Stars <select name="stars">${[0, 1, 2, 3, 4, 5].map((s) => `<option${s === 3 ? " selected" : ""}>${s}</option>`).join("")}</select></label>`;
  const shell = (action, controls, button) => `<form class="todo" data-action="${action}" data-todo="page:${action}:${c.id}">
    <input type="hidden" name="via" value="relay"><input type="hidden" name="contribution" value="${c.id}">${controls}
    <button type="submit">${button}</button><p class="progress" aria-live="polite"></p></form>`;
  const sealedByMe = c.sealedBy.some((r) => r.toLowerCase() === me);
  if (me && c.status === "pending" && c.reviewDeadline > now && c.author.toLowerCase() !== me && !sealedByMe && !c.reviews.some((r) => r.reviewer.toLowerCase() === me)) {
    act = shell("review", `${stars}<label>Comment <input name="comment" maxlength="2000"></label>`, "Review");
  } else if (c.status === "pending" && c.reviewDeadline < now) {
    act = shell("finalize", "", "Finalize");  // the ratings sealed in this browser open first
  }
  return `<h2>Contribution #${c.id}${content.title ? `: “${esc(content.title)}”` : ""}</h2><p>by <a href="#/member/${c.author}" title="${esc(c.author)}">${esc(nameOf(c.author))}</a>, ${minutesText(c.effort)} of work; ${esc(status)}.</p>
    ${act}
    <p>Artifact <a class="mono" href="/v1/artifacts/${c.cid}" download>${esc(c.cid)}</a> (content sha256 <span class="mono">${esc(c.contentHash)}</span>)</p>
    ${contentLine}
    <h2>Weighted tally</h2><p>${c.sealedReviews} sealed rating${c.sealedReviews === 1 ? "" : "s"}, ${c.reviews.length} opened${c.sealedBy.length ? ` (sealed until the window closes: ${c.sealedBy.map((r) => esc(nameOf(r))).join(", ")})` : ""}; ${c.minReviewers} reviewers needed; standing ${units(c.weight, 18, 2)} of ${units(c.quorumWeight, 18, 2)} needed.</p>
    <ul>${tally}</ul><h2>Reviews</h2><ul>${reviews.join("") || "<li>none yet</li>"}</ul>`;
}

// every "closes in" and "left" counts from the chain's latest block time (chainNow), never the wall clock
function votingWhen(p) {
  const now = chainNow();
  const at = (t) => new Date(t * 1000).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  if (p.state === "Pending") return `voting opens in ${duration(p.voteStart - now)} (${at(p.voteStart)} by the chain's clock)`;
  if (p.state === "Active") return `voting closes in ${duration(p.voteEnd - now)} (${at(p.voteEnd)} by the chain's clock)`;
  return `voting closed ${at(p.voteEnd)} by the chain's clock`;
}

async function hostsPage() {
  const g = await api("/v1/grid");
  if (!g.deployed) return "<h2>Hosts</h2><p>This community was deployed before hosting existed: it has no grid.</p>";
  const rows = g.hosts.map((h) => `<tr data-host="${esc(h.address)}"><td><a href="#/member/${esc(h.address)}" class="mono">${esc(short(h.address))}</a></td>
    <td class="mono">${esc(h.endpoint)}</td><td>${when(h.since)}</td>
    <td data-field="counts">${h.counts ? "yes" : esc(h.why || (g.assigned ? "no" : "not assigned yet"))}</td>
    <td class="num" data-field="holds">${h.holds}</td>
    <td data-field="checked">${lastCheck(h, g)}</td>
    <td data-field="services">${h.services.map(serviceState).join("<br>") || "none declared"}</td>
    <td class="num" data-field="paid">${Object.entries(h.paid).map(([t, a]) => `${units(a, 18, 4)} ${t === "0x0000000000000000000000000000000000000000" ? "ETH" : esc(short(t))}`).join(", ") || "none yet"}</td></tr>`).join("");
  const table = g.hosts.length ? `<div class="scroll"><table><caption class="skip">Hosts</caption>
    <thead><tr><th scope="col">host</th><th scope="col">endpoint</th><th scope="col">hosting since</th>
    <th scope="col">counts this epoch</th><th scope="col">files held</th><th scope="col">last checked</th>
    <th scope="col">relay and page</th><th scope="col">hosting pay</th></tr></thead><tbody>${rows}</tbody></table></div>`
    : '<p>No member hosts the community\'s files yet: <span class="mono">starfish host register --gateway URL</span>.</p>';
  const assigned = g.assigned ? `<p id="grid-epoch">Epoch ${g.epoch}: ${g.files.length} files, each on up to ${g.replicas} hosts.</p>`
    : `<p id="grid-epoch">Epoch ${g.epoch}: not assigned yet (${esc(g.why)}).</p>`;
  const failed = g.failures.length ? `<h3>Failed challenges</h3><ul id="grid-failures">${g.failures.slice().reverse().map((f) =>
    `<li data-failure="${esc(f.host)}">epoch ${f.epoch}: <span class="mono" title="${esc(f.host)}">${esc(nameOf(f.host))}</span> passed ${f.passes} of ${f.challenges},
    as <span class="mono" title="${esc(f.checker)}">${esc(nameOf(f.checker))}</span> found${f.evidence ? ` (evidence <span class="mono">${esc(f.evidence)}</span>)` : ""}${f.contested ? "; contested: the host proved the blocks on-chain" : ""}</li>`).join("")}</ul>`
    : '<p id="grid-failures">No failed challenge has been revealed.</p>';
  return `<h2>Hosts</h2><p>Members with standing hold the community's files; who holds what is recomputed from the chain
    (<span class="mono">starfish host status</span> says the same). Check them with <span class="mono">starfish host check</span>.
    A host is paid for an epoch when most of its checkers found it passing at least ${g.passMin} of ${g.challenges} challenges.</p>
    ${assigned}${table}${failed}`;
}

function serviceState(s) {
  const p = s.probe;
  const said = !p ? "not probed yet" : p.ok ? `up, first byte in ${p.ttfbMs} ms` : `down: ${esc(p.reason)}`;
  return `${esc(s.kind)} <span class="mono">${esc(s.url)}</span>: ${said}`;
}

function lastCheck(h, g) {
  const c = h.checks[h.checks.length - 1];
  if (!c) return "not yet";
  const verdict = c.attested ? (c.units > 0 ? `paid for ${c.units} units` : "unpaid (below the pass rate)") : "not attested yet";
  return `epoch ${c.epoch}: ${c.passes}/${g.challenges}, ${c.agreeing} of ${c.revealed} checkers agree; ${verdict}`;
}

function governancePage() {
  const list = state.proposals.slice().reverse().map((p) => `<article data-proposal="${p.id}"><h3>${esc(p.title)} <small>(${p.state})</small></h3>
    <p>proposed by ${esc(nameOf(p.proposer))}; id <span class="mono" title="${esc(p.id)}">${esc(BigInt(p.id).toString(16).padStart(64, "0").slice(0, 8))}</span></p><p>for ${units(p.for, 18, 2)}, against ${units(p.against, 18, 2)}, abstain ${units(p.abstain, 18, 2)} points${p.quorum ? ` (quorum ${units(p.quorum, 18, 2)} points)` : ""};
    ${votingWhen(p)}.</p>
    <p>If it passes, it will:</p><ul class="said">${(p.said || p.calls).map((call) => `<li>${esc(call)}</li>`).join("")}</ul>
    <details><summary>The calls, as the contracts read them</summary><ul>${p.calls.map((call) => `<li class="mono">${esc(call)}</li>`).join("")}</ul></details>
    <ul>${p.voters.map((v) => `<li><span title="${esc(v.voter)}">${esc(nameOf(v.voter, true))}</span>: ${["against", "for", "abstain"][v.support]} with ${num(v.weight, units(v.weight, 18, 2), "vote")} points${v.reason ? " — " + esc(v.reason) : ""}</li>`).join("")}</ul></article>`).join("");
  return `<h2>Governance</h2><p>Members vote with their points at each proposal's snapshot; passed proposals wait in the timelock, then anyone executes them. To vote, go to <a href="#/act">Act</a>.</p>${list || "<p>No proposals yet.</p>"}`;
}

// what waits for the connected member, as `starfish todo` lists it, each with its action beside it:
// nobody types a contribution number or a proposal id
async function forYou() {
  if (!state.account) return "";
  let todo;
  try { todo = await api(`/v1/members/${state.account}/todo`); } catch (error) { return `<p class="error">${esc(error.message)}</p>`; }
  state.todo = todo;  // the relay's list is the fresher: the page's copy of the contributions may lag
  state.authors = state.authors || {};
  for (const i of todo.items) if (i.data && i.data.contribution && i.data.author) state.authors[String(i.data.contribution)] = i.data.author;
  // each piece of work by what its bytes say it is (the relay reads its first line, or its kind and size)
  const titles = {};
  await Promise.all(todo.items.filter((i) => ["review", "waiting", "finalize"].includes(i.kind)).map(async (i) => {
    try { titles[i.data.contribution] = (await api(`/v1/contributions/${i.data.contribution}/content`)).title; } catch { /* untitled */ }
  }));
  const titled = (id) => (titles[id] ? ` “${esc(titles[id])}”` : "");
  Object.assign(state.titles, titles);
  const now = chainNow();
  const at = (t) => new Date(t * 1000).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  const until = (t) => (t ? ` — until ${at(t)} (${duration(t - now)} left)` : "");
  const hidden = (name, value) => `<input type="hidden" name="${name}" value="${esc(value)}">`;
  const form = (item, action, fields, controls, button) => `<form class="todo" data-action="${action}" data-todo="${esc(item.id)}">
      ${hidden("via", "relay")}${fields}${controls}<button type="submit">${button}</button><p class="progress" aria-live="polite"></p></form>`;
  const rows = todo.items.map((item) => {
    const d = item.data || {}; let what = esc(item.title); let act = "";
    if (item.kind === "review") {
      const c = state.contributions.find((k) => k.id === Number(d.contribution));
      const cid = (c && c.cid) || d.cid;  // the list carries it: the page's own copy may lag
      const file = cid ? ` (<a href="/v1/artifacts/${esc(cid)}" download>open the work</a>)` : "";
      what = `Review <a href="#/contribution/${d.contribution}">${esc(work(d.contribution))}</a>${titled(d.contribution)}${file}: ${minutesText(Number(d.effort))} of work${until(item.deadline)}`;
      act = form(item, "review", hidden("contribution", d.contribution),
        `<label>Stars <select name="stars">${[0, 1, 2, 3, 4, 5].map((s) => `<option${s === 3 ? " selected" : ""}>${s}</option>`).join("")}</select></label>
         <label>Comment <input name="comment" maxlength="2000"></label>`, "Review");
    } else if (item.kind === "reveal") {
      what = `Your sealed rating of <a href="#/contribution/${d.contribution}">${esc(work(d.contribution))}</a>${titled(d.contribution)} opens${until(item.deadline)}: ${openings()[`${d.contribution}:${String(state.account).toLowerCase()}`] ? "this page opens it for you" : "open it from the browser or machine you rated from (`starfish reveal`)"}`;
    } else if (item.kind === "waiting") {
      what = `Your <a href="#/contribution/${d.contribution}">contribution #${d.contribution}</a>${titled(d.contribution)} is under review${until(item.deadline)}`;
    } else if (item.kind === "finalize") {
      what = `<a href="#/contribution/${d.contribution}">${esc(work(d.contribution))}</a>${titled(d.contribution)} may be finalized: its review window closed`;
      act = form(item, "finalize", hidden("contribution", d.contribution), "", "Finalize");
    } else if (item.kind === "pay") {
      what = `${esc(units(d.wei))} ${esc(symbol(d.token))} to claim`;
      act = form(item, "claim", hidden("token", d.token), "", `Claim ${esc(units(d.wei))} ${esc(symbol(d.token))}`);
    } else if (item.kind === "vote" || item.kind === "vote-closing") {
      what = `${item.kind === "vote-closing" ? "Last day to vote" : "Vote"} on ${esc(proposalTitle(d.proposal))}${until(item.deadline)}`;
      act = form(item, "vote", hidden("proposal", d.proposal),
        `<label>Your vote <select name="support"><option value="1">for</option><option value="0">against</option><option value="2">abstain</option></select></label>`, "Vote");
    } else if (item.kind === "concerns") {
      what = `${esc(item.title)} — <a href="#/governance">see it</a>`;
    }
    return `<li data-kind="${esc(item.kind)}" data-id="${esc(item.id)}"><p>${what}</p>${act}</li>`;
  }).join("");
  return `<section class="for-you" aria-labelledby="for-you"><h2 id="for-you">Waiting for you</h2>
    ${rows ? `<ul class="todo">${rows}</ul>` : "<p>Nothing waits for you now.</p>"}</section>`;
}

async function actPage() {
  const waiting = await forYou();
  return waiting + actForms();
}

function actForms() {
  const via = (name) => `<fieldset class="row"><legend>Send</legend>
    <label><input type="radio" name="via" value="relay" checked> through the relay (no ETH needed)</label>
    <label><input type="radio" name="via" value="direct"> directly (your wallet pays the gas)</label></fieldset>`;
  const open = state.proposals.filter((p) => p.state === "Active");
  // the contributions to choose from: nobody needs to know a number (typing one still works)
  const now = chainNow(); const me = state.account;
  const pending = state.contributions.filter((c) => c.status === "pending");
  const option = (c, left) => `<option value="${c.id}" label="${esc(`${work(c.id)}, ${minutesText(c.effort)}, ${left}`)}"></option>`;
  // once the member's list is loaded, only the work whose panel they sit on (the relay's todo: panels
  // are drawn by standing, and a rating from outside the panel is refused)
  const assigned = state.todo ? new Set((state.todo.items || []).filter((i) => i.kind === "review").map((i) => Number(i.data.contribution))) : null;
  const reviewable = pending.filter((c) => c.reviewDeadline > now && c.author.toLowerCase() !== me && (!assigned || assigned.has(c.id))
    && !c.reviews.some((r) => r.reviewer.toLowerCase() === me) && !c.sealedBy.some((r) => r.toLowerCase() === me)).map((c) => option(c, `${duration(c.reviewDeadline - now)} left`)).join("");
  const known = new Set(pending.map((c) => c.id));
  const listed = ((state.todo && state.todo.items) || []).filter((i) => i.kind === "review" && !known.has(Number(i.data.contribution)))
    .map((i) => option({ id: Number(i.data.contribution), effort: Number(i.data.effort) }, `${duration(i.deadline - now)} left`)).join("");
  const finalizable = pending.filter((c) => c.reviewDeadline <= now).map((c) => option(c, "window closed")).join("");
  return `<datalist id="reviewable">${reviewable}${listed}</datalist><datalist id="finalizable">${finalizable}</datalist><h2>Act with your wallet</h2>
    <p>${state.account ? `Connected as <span class="mono" id="me">${state.account}</span>${state.chainOk ? "" : " — <strong class=\"error\">on another chain</strong>"}.` : "Connect a wallet first (the button at the top)."}
    Before your wallet asks, this page shows what you will sign.</p>
    <form data-action="join"><h3>Join</h3>${via()}<button type="submit">Join</button><p class="progress" aria-live="polite"></p></form>
    <form data-action="contribute"><h3>Contribute work</h3>
      <label>File <input type="file" name="file" required></label>
      <label>Effort in minutes (at most ${esc(state.info.charter.parameters.maxEffort)}: ${esc(hoursText(Number(state.info.charter.parameters.maxEffort)))}, the charter's maxEffort) <input type="number" name="effort" min="1" required></label>${via()}
      <button type="submit">Commit, upload and submit</button><p class="progress" aria-live="polite"></p></form>
    <form data-action="review"><h3>Review</h3>
      <label>Contribution (choose from the list) <input type="number" name="contribution" min="1" required list="reviewable"></label>
      <label>Stars (3 = worth the minutes claimed) <select name="stars">${[0, 1, 2, 3, 4, 5].map((s) => `<option${s === 3 ? " selected" : ""}>${s}</option>`).join("")}</select></label>
      <label>Comment <textarea name="comment" rows="2"></textarea></label>${via()}
      <button type="submit">Review</button><p class="progress" aria-live="polite"></p></form>
    <form data-action="finalize"><h3>Finalize (anyone may, once the window closed)</h3>
      <label>Contribution (choose from the list) <input type="number" name="contribution" min="1" required list="finalizable"></label>${via()}
      <button type="submit">Finalize</button><p class="progress" aria-live="polite"></p></form>
    <form data-action="claim"><h3>Claim your pay</h3>
      <label>Token <select name="token">${["0x0000000000000000000000000000000000000000", ...state.info.charter.revenueTokens.filter((t) => t !== ETH)].map((t) => `<option value="${t}">${symbol(t)}</option>`).join("")}</select></label>${via()}
      <button type="submit">Claim</button><p class="progress" aria-live="polite"></p></form>
    <form data-action="vote"><h3>Vote</h3>
      <label>Proposal <select name="proposal">${open.map((p) => `<option value="${p.id}">${esc(p.title)}</option>`).join("") || "<option value=''>no vote is open</option>"}</select></label>
      <label>Your vote <select name="support"><option value="1">for</option><option value="0">against</option><option value="2">abstain</option></select></label>${via()}
      <button type="submit">Vote</button><p class="progress" aria-live="polite"></p></form>`;
}

function refreshVotes() {  // the one list on the Act page that live events change
  const select = $("form[data-action=vote]:not([data-todo]) select[name=proposal]");
  if (!select || document.activeElement === select) return;
  const open = state.proposals.filter((p) => p.state === "Active");
  select.innerHTML = open.map((p) => `<option value="${p.id}">${esc(p.title)}</option>`).join("") || "<option value=''>no vote is open</option>";
}

// ------------------------------------------------------------------ wallet

const providers = [];
window.addEventListener("eip6963:announceProvider", (event) => providers.push(event.detail));
window.dispatchEvent(new Event("eip6963:requestProvider"));

async function connect() {
  const provider = (providers[0] && providers[0].provider) || window.ethereum;
  if (!provider) { $("#account").textContent = "no wallet found in this browser"; return; }
  const [account] = await provider.request({ method: "eth_requestAccounts" });
  const chain = parseInt(await provider.request({ method: "eth_chainId" }), 16);
  Object.assign(state, { provider, account: account.toLowerCase(), chainOk: chain === state.info.chainId, connected: (state.connected || 0) + 1 });
  if (!state.chainOk) {
    try {
      await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: "0x" + state.info.chainId.toString(16) }] });
      state.chainOk = true;
    } catch { /* the page says so */ }
  }
  $("#account").textContent = `${short(account)}${state.chainOk ? "" : ` — switch your wallet to chain ${state.info.chainId}`}`;
  render();
}

// a signed field in people's words; the exact value stays in the dd's data-raw
function fieldText(key, value) {
  const v = String(value);
  if (key === "deadline") { const left = Number(v) - chainNow(); return `${new Date(Number(v) * 1000).toLocaleString([], { dateStyle: "medium", timeStyle: "short" })} (valid for ${duration(left)})`; }
  if (["member", "reviewer", "voter", "author", "to"].includes(key) && /^0x[0-9a-fA-F]{40}$/.test(v)) return `${nameOf(v)} (${v})`;
  if (key === "effort") return minutesText(Number(v));
  if (key === "stars") return `${v} star${v === "1" ? "" : "s"}`;
  if (key === "support") return ["against", "for", "abstain"][Number(v)] || v;
  if (key === "proposalId") return `${proposalTitle(v)} (${BigInt(v).toString(16).padStart(64, "0").slice(0, 8)})`;
  if (key === "token") return symbol(v);
  if (key === "contribution") return work(v);
  if (key === "commentCid" && v === "0x") return "no comment";
  if (key === "sealed") return "your rating, sealed: nobody can read it until the review window closes (this page opens it then)";
  return v;
}

function showSigning(form, typedData) {
  const fields = Object.entries(typedData.message).map(([k, v]) => {
    const text = fieldText(k, v);
    return `<dt>${esc(k)}</dt><dd class="${text === String(v) ? "mono" : ""}" data-field="${esc(k)}" data-raw="${esc(v)}">${esc(text)}</dd>`;
  }).join("");
  // appended: a contribution signs twice (its Commit, then its Submit), and the first's progress stays
  $(".progress", form).insertAdjacentHTML("beforeend", `<div class="signing"><p>Your wallet will ask you to sign <strong>${esc(typedData.primaryType)}</strong>
    for ${esc(typedData.domain.name)} (chain ${typedData.domain.chainId}, contract <span class="mono">${esc(typedData.domain.verifyingContract)}</span>):</p><dl>${fields}</dl></div>`);
}

function progress(form, text, cls = "") {
  const p = document.createElement("span");
  p.className = cls; p.textContent = " " + text;
  $(".progress", form).appendChild(p);
}

async function minedQuietly(id) {
  for (let i = 0; i < 240; i++) {
    const s = await api(`/v1/actions/${id}`);
    if (s.status === "mined") return s;
    if (s.status === "failed") throw new Error(`a sealed rating did not open: ${await failure(s.error)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("a sealed rating was not opened in two minutes (the relay may be stuck): try again");
}

async function follow(form, id) {
  progress(form, "accepted by the relay;");
  for (let i = 0; i < 240; i++) {
    const s = await api(`/v1/actions/${id}`);
    if (s.status === "mined") { progress(form, `mined in block ${s.block}.`, "mined"); return s; }
    if (s.status === "failed") { throw new Error(`failed on chain: ${await failure(s.error)}`); }
    if (s.status === "sent" && i === 0) progress(form, "sent;");
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("not mined in two minutes (the relay may be stuck): try again, or send it directly");
}

async function failure(error) {  // a mined action's revert, in the CLI's words when the table knows it
  if (!error) return "it reverted";
  if (error.name) {
    try {
      const told = await api("/v1/explain-error", { json: { error: error.name, args: error.args || {} } });
      if (told.message) return told.message;
    } catch { /* said below */ }
  }
  return error.message || error.name;
}

// before the wallet is asked to sign, and before anything is pinned or paid: would it succeed now?
async function check(form, action, fields) {
  progress(form, "checking;");
  await api("/v1/actions/check", { json: { action, signer: state.account, fields } });
}

// The approval budget is spent when ratings open (ContributionRegistry._judge; the one rule is
// starfish_dao/domain/review_budget.py): a rating it could not open counts as no review and, left
// sealed, forfeits that epoch's review pay. The relay says the public half (the desk, the budget of
// this member's weight, each work's effort and opening epoch); the stars sealed in this browser are
// added here and never leave it.
async function checkBudget(form, contribution, stars) {
  if (!stars) return;
  const me = state.account;
  let here = null;
  for (let i = 0; i < 4 && !here; i++) {  // work submitted a moment ago: the relay reads the new blocks
    here = await api(`/v1/members/${me}/review-budget/${contribution}`).catch(() => null);
    if (!here) await new Promise((r) => setTimeout(r, 500));
  }
  if (!here || here.weight === "0") return;  // unknown, or no standing on this work: the relay's check says so
  let spent = BigInt(here.deskSpent) + BigInt(here.effort) * BigInt(stars);
  for (const o of Object.values(openings())) {
    if (o.reviewer.toLowerCase() !== me.toLowerCase() || Number(o.contribution) === contribution || !Number(o.stars)) continue;
    const other = await api(`/v1/members/${me}/review-budget/${o.contribution}`).catch(() => null);
    if (other && other.sealed && other.opensInEpoch === here.opensInEpoch) spent += BigInt(other.effort) * BigInt(o.stars);
  }
  const budget = BigInt(here.budget);
  if (spent > budget) {
    const n = (x) => x.toLocaleString("en-US");
    throw new Error(`this rating would take your review budget of epoch ${here.opensInEpoch} to ${n(spent)} star-minutes `
      + `of ${n(budget)} when it opens (effort times stars, over every rating of yours this browser holds sealed that `
      + "opens in that epoch): it could not be opened, would count as no review, and would forfeit your review pay "
      + "of that epoch. Rate fewer stars (0 spends nothing), or leave this one to others.");
  }
}

async function signAndRelay(form, action, fields) {
  const { typedData } = await api("/v1/actions/typed-data", { json: { action, signer: state.account, fields } });
  for (const [k, v] of Object.entries(fields)) {
    if (String(typedData.message[k]).toLowerCase() !== String(v).toLowerCase()) throw new Error(`the relay changed ${k}: not signing`);
  }
  showSigning(form, typedData);
  const signature = await state.provider.request({ method: "eth_signTypedData_v4", params: [state.account, JSON.stringify(typedData)] });
  const sent = await api("/v1/actions", { json: { action, typedData, signature } });
  return follow(form, sent.id);
}

async function relayUnsigned(form, body) {
  const sent = await api("/v1/actions", { json: body });
  return follow(form, sent.id);
}

// ABI encoding for the few direct calls the page makes
const selector = (signature) => keccak256(signature).slice(0, 8);
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const word = (h) => h.replace(/^0x/, "").padStart(64, "0");
function encode(types, values) {
  let head = ""; let tail = ""; const size = types.length * 32;
  types.forEach((type, i) => {
    const v = values[i];
    if (type === "bytes") {
      const data = String(v).replace(/^0x/, ""); const length = data.length / 2;
      head += word((size + tail.length / 2).toString(16));
      tail += word(length.toString(16)) + data.padEnd(Math.ceil(length / 32) * 64, "0");
    } else if (type === "bytes32") { head += String(v).replace(/^0x/, "").padEnd(64, "0"); }
    else { head += word(BigInt(v).toString(16)); }
  });
  return head + tail;
}

async function direct(form, role, signature, types, values) {
  const to = state.info.contracts[role];
  const data = "0x" + selector(signature) + encode(types, values);
  progress(form, `your wallet sends ${signature.split("(")[0]} to ${role} ${short(to)};`);
  try {  // simulate first, so that a doomed transaction is named before it costs gas
    await state.provider.request({ method: "eth_call", params: [{ from: state.account, to, data }, "latest"] });
  } catch (error) {
    throw new Error(`not sent, it would fail: ${await revertReason(error)}`);
  }
  const hash = await state.provider.request({ method: "eth_sendTransaction", params: [{ from: state.account, to, data }] });
  for (let i = 0; i < 240; i++) {
    const receipt = await state.provider.request({ method: "eth_getTransactionReceipt", params: [hash] });
    if (receipt) {
      if (parseInt(receipt.status, 16) !== 1) throw new Error(`the transaction ${hash} reverted`);
      progress(form, `mined in block ${parseInt(receipt.blockNumber, 16)}.`, "mined"); return receipt;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the transaction ${hash} was not mined in two minutes`);
}

async function revertReason(error) {  // wallets put revert data in error.data, or error.data.data
  let data = error && error.data;
  if (data && typeof data === "object") data = data.data || data.originalError?.data;
  if (typeof data !== "string" || !data.startsWith("0x") || data.length < 10) return error.message || String(error);
  try { return (await api("/v1/decode-revert", { json: { data } })).message; } catch { return "the contract refused it"; }
}

async function sha256(bytes) { return "0x" + hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))); }

const ACTIONS = {
  async join(form, via) {
    if (via === "relay") await check(form, "Join", {});
    return via === "relay" ? signAndRelay(form, "Join", {}) : direct(form, "membership", "join()", [], []);
  },
  async contribute(form, via) {
    const file = form.elements.file.files[0]; const effort = Number(form.elements.effort.value);
    const maxEffort = Number(state.info.charter.parameters.maxEffort);
    if (!Number.isInteger(effort) || effort < 1 || effort > maxEffort) {  // the charter's bound, before anything else
      throw new Error(`effort ${effort} min is outside 1..${maxEffort} minutes (the charter's maxEffort, ${hoursText(maxEffort)})`);
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const contentHash = await sha256(bytes);
    // the effort, the epoch's cap and whether these bytes are already someone's work: before any
    // commitment is paid for or the file pinned
    await check(form, "Contribute", { effort, contentHash });
    const salt = "0x" + hex(crypto.getRandomValues(new Uint8Array(32)));
    // the commitment reveals nothing: keccak256(abi.encode(author, contentHash, salt)), computed here
    const commitment = "0x" + keccak256(hexToBytes(word(state.account) + contentHash.slice(2) + salt.slice(2)));
    progress(form, "committing (nothing about the file is published yet);");
    // the relay pays for an active member's Commit only: the wallet signs it (a RelayCommit, for the relay)
    if (via === "relay") await signAndRelay(form, "Commit", { commitment });
    else await direct(form, "registry", "commit(bytes32)", ["bytes32"], [commitment]);
    const upload = new FormData(); upload.append("file", file);
    const pinned = await api("/v1/artifacts", { method: "POST", body: upload });
    progress(form, `pinned as ${pinned.cid};`);
    if (bytes.length <= 262144 && pinned.cidHex.slice(-64) !== contentHash.slice(2)) throw new Error("the relay pinned other bytes than your file");
    const fields = { cid: pinned.cidHex, contentHash, salt, effort };
    return via === "relay" ? signAndRelay(form, "Submit", fields)
      : direct(form, "registry", "submit(bytes,bytes32,uint32,bytes32)", ["bytes", "bytes32", "uint32", "bytes32"], [pinned.cidHex, contentHash, effort, salt]);
  },
  async review(form, via) {
    const contribution = Number(form.elements.contribution.value); const stars = Number(form.elements.stars.value);
    await check(form, "SealedReview", { contribution });
    await checkBudget(form, contribution, stars);
    // sealed: the stars, and the comment (it could say them), stay in this browser until the window
    // closes; the comment's CID is computed here (a raw block: its sha256) and the file pinned then
    const comment = form.elements.comment.value.trim();
    const commentCid = comment ? "0x01551220" + (await sha256(new TextEncoder().encode(comment))).slice(2) : "0x";
    const salt = "0x" + hex(crypto.getRandomValues(new Uint8Array(32)));
    const sealed = sealOf(state.account, contribution, stars, commentCid, salt);
    holdOpening({ contribution, reviewer: state.account, stars, commentCid, comment, salt });
    progress(form, "sealed in this browser: nobody sees your rating until the review window closes, and this page opens it then;");
    return via === "relay" ? signAndRelay(form, "SealedReview", { contribution, sealed })
      : direct(form, "registry", "sealReview(uint256,bytes32)", ["uint256", "bytes32"], [contribution, sealed]);
  },
  async finalize(form, via) {
    const contribution = Number(form.elements.contribution.value);
    // the ratings sealed in this browser open first, and the Finalize waits until the relay's books
    // show each of them open (one sent by an earlier visit of the page included)
    const mine = new Set(Object.values(openings()).filter((o) => Number(o.contribution) === contribution)
      .map((o) => o.reviewer.toLowerCase()));
    await load();  // the chain's clock and the contribution as they are now
    await revealDue(contribution, form);
    let c = null;
    for (let i = 0; i < 120; i++) {
      c = await api(`/v1/contributions/${contribution}`);
      if (!mine.size || !c.sealedBy.some((r) => mine.has(r.toLowerCase()))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // the relay's keeper finalizes what is due as soon as its ratings are open: done is done
    const done = (status) => { progress(form, `finalized already (${status}): nothing to send.`, "mined"); };
    if (c && c.status !== "pending") return done(c.status);
    try {
      return await (via === "relay" ? relayUnsigned(form, { action: "Finalize", contribution })
        : direct(form, "registry", "finalize(uint256)", ["uint256"], [contribution]));
    } catch (error) {
      // refused because someone (the keeper) finalized it a moment ago: the relay's books may show
      // it a few blocks later than the chain refused the second Finalize
      for (let i = 0; i < 20; i++) {
        const now = await api(`/v1/contributions/${contribution}`).catch(() => null);
        if (now && now.status !== "pending") return done(now.status);
        await new Promise((r) => setTimeout(r, 500));
      }
      throw error;
    }
  },
  async claim(form, via) {
    const token = form.elements.token.value;
    return via === "relay" ? relayUnsigned(form, { action: "Claim", member: state.account, token })
      : token === ETH ? direct(form, "splitter", "claimEth()", [], [])  // one's own ETH: the short form
      : direct(form, "splitter", "claim(address,address)", ["address", "address"], [state.account, token]);
  },
  async vote(form, via) {
    const proposalId = form.elements.proposal.value; const support = Number(form.elements.support.value);
    if (!proposalId) throw new Error("no vote is open");
    if (via === "relay") await check(form, "Ballot", { proposalId, support });
    return via === "relay" ? signAndRelay(form, "Ballot", { proposalId, support })
      : direct(form, "governor", "castVote(uint256,uint8)", ["uint256", "uint8"], [proposalId, support]);
  },
};

// sealed ratings: keccak256(abi.encode(reviewer, contribution, stars, keccak256(commentCid), salt)), as
// the registry recomputes it at the reveal; the opening is kept in this browser only
function sealOf(reviewer, contribution, stars, commentCid, salt) {
  const commentHash = keccak256(hexToBytes(commentCid.replace(/^0x/, "")));
  return "0x" + keccak256(hexToBytes(word(reviewer) + word(BigInt(contribution).toString(16)) + word(Number(stars).toString(16))
    + commentHash + salt.replace(/^0x/, "")));
}

function openingsKey() { return `starfish.openings.${state.info.chainId}.${state.info.contracts.registry.toLowerCase()}`; }
function openings() { try { return JSON.parse(localStorage.getItem(openingsKey()) || "{}"); } catch { return {}; } }
function holdOpening(o) {
  const all = openings(); all[`${o.contribution}:${o.reviewer.toLowerCase()}`] = o;
  localStorage.setItem(openingsKey(), JSON.stringify(all));
}
function dropOpening(key) { const all = openings(); delete all[key]; localStorage.setItem(openingsKey(), JSON.stringify(all)); }

// opens every rating sealed from this browser whose window has closed (an unsigned Reveal, through
// the relay: no wallet needed); the comment is pinned first. Said in #reveals. One run at a time:
// a finalize (`form`) waits for the background run, then follows every Reveal sent for the work
// until it is mined, so it never finalizes while a rating sealed here is still opening.
async function revealDue(only = null, form = null) {
  if (state.revealing) {
    if (!form) return;
    await state.revealing.catch(() => {});
  }
  const run = openDue(only, form);
  state.revealing = run;
  try { await run; } finally { if (state.revealing === run) state.revealing = null; }
}

async function openDue(only, form) {
  state.revealSent = state.revealSent || {};
  const now = chainNow(); const said = [];
  for (const [key, o] of Object.entries(openings())) {
    if (only !== null && Number(o.contribution) !== Number(only)) continue;
    const c = state.contributions.find((k) => k.id === Number(o.contribution));
    if (!c) continue;
    if (c.status !== "pending" || now > c.revealDeadline) { dropOpening(key); continue; }
    // still sealed while the latest block the relay read is not past the deadline: nothing leaves
    // this browser before the window has closed. Whether the seal is on chain is the contract's to
    // say, not the relay's books (they may lag a direct transaction)
    if (Number(state.info.chainTime) <= c.reviewDeadline) continue;
    try {
      const sent = await api("/v1/actions", { json: { action: "Reveal", contribution: Number(o.contribution), reviewer: o.reviewer,
        stars: Number(o.stars), commentCid: o.commentCid, salt: o.salt } });
      if (o.comment) {  // published once its rating is opening, not before
        const upload = new FormData(); upload.append("file", new Blob([o.comment]), "comment.txt");
        await api("/v1/artifacts", { method: "POST", body: upload });
      }
      state.revealSent[key] = sent.id;
      dropOpening(key); said.push(`opened your sealed rating of ${work(o.contribution)}: ${o.stars} stars`);
    } catch (error) {
      // never sealed, opened already, too late, no longer pending: nothing left to open
      if (["RegistryNotSealed", "RegistryRevealWindowClosed", "RegistryNotPending"].includes(error.contractError)) { dropOpening(key); continue; }
      if (form) throw new Error(`could not open ${nameOf(o.reviewer)}'s sealed rating of ${work(o.contribution)}: ${error.message}`);
      said.push(`could not open your rating of ${work(o.contribution)}: ${error.message}`);
    }
  }
  if (form) {  // every Reveal sent for this work from here, by this run or an earlier one: mined first
    for (const [key, id] of Object.entries(state.revealSent)) {
      if (only !== null && Number(key.split(":")[0]) !== Number(only)) continue;
      progress(form, "opening a sealed rating;");
      await minedQuietly(id);  // not the form's own outcome: the Finalize comes after
      delete state.revealSent[key];
    }
  }
  const line = $("#reveals");
  if (line && said.length) line.textContent = said.join("; ");
}

function hexToBytes(h) { const out = new Uint8Array(h.length / 2); for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16); return out; }

function bindForms(root) {
  for (const form of root.querySelectorAll("form[data-name-for]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const book = names(); const name = form.elements.name.value.trim();
      if (name) book[form.dataset.nameFor] = name; else delete book[form.dataset.nameFor];
      localStorage.setItem("starfish.names", JSON.stringify(book));
      render();
    });
  }
  for (const form of root.querySelectorAll("form[data-action]")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = $("button[type=submit]", form);
      $(".progress", form).textContent = "";
      if (!state.account) { progress(form, "connect a wallet first.", "failed"); return; }
      if (!state.chainOk) { progress(form, `switch your wallet to chain ${state.info.chainId} first.`, "failed"); return; }
      button.disabled = true;
      try {
        await ACTIONS[form.dataset.action](form, form.elements.via ? form.elements.via.value : "relay");
        if (form.dataset.todo) {  // done: the item stays, said so, and cannot be sent twice
          const item = form.closest("li"); if (item) item.classList.add("done");
          for (const control of form.querySelectorAll("button, select, input")) control.disabled = true;
          form.dataset.done = "true";
        }
        await load();
      } catch (error) {
        progress(form, error.message || String(error), "failed");
      } finally { if (!form.dataset.done) button.disabled = false; }
    });
  }
}

// ------------------------------------------------------------------ live activity

// a name for an address: "you" for the connected wallet, the name this browser gave it (a member's
// page has a field for it, kept in this browser only: nobody can rename someone on another's screen),
// else its short form
function names() { try { return JSON.parse(localStorage.getItem("starfish.names") || "{}"); } catch { return {}; } }
function nameOf(address, capital = false) {
  if (!address) return "someone";
  const a = String(address).toLowerCase();
  if (state.account && a === state.account) return capital ? "You" : "you";
  return names()[a] || short(String(address));
}
const possessive = (name) => (name === "you" ? "your" : name === "You" ? "Your" : `${name}'s`);
const proposalTitle = (id) => { const p = state.proposals.find((q) => q.id === String(id)); return p ? `“${p.title}”` : `proposal ${String(id).slice(0, 8)}…`; };
const tokenAmount = (token, raw) => `${units(String(raw))} ${symbol(token)}`;
const work = (id) => {
  const c = state.contributions.find((k) => k.id === Number(id));
  const author = c ? c.author : (state.authors || {})[String(id)];  // one just submitted: from its event
  return author ? `${possessive(nameOf(author))} contribution #${id}` : `contribution #${id}`;
};

// a contribution's title as the relay read it from its bytes (its first line), when known
const titleOf = (id) => (state.titles[String(id)] ? ` “${state.titles[String(id)]}”` : "");

function sentence(e) {
  const a = e.args || {}; const N = (x) => nameOf(x, true);
  switch (e.event) {
    case "Joined": return `${N(a.member)} joined`;
    case "Left": return `${N(a.member)} left`;
    case "Suspended": return `${N(a.account)} was suspended`;
    case "Reinstated": return `${N(a.account)} was reinstated`;
    case "Committed": return "a contribution's commitment was posted (its content stays hidden until it is submitted)";
    case "Submitted": (state.authors = state.authors || {})[String(a.id)] = a.author; return `${N(a.author)} submitted contribution #${a.id}${titleOf(a.id)} (${minutesText(Number(a.effort))})`;
    case "ReviewSealed": return `${N(a.reviewer)} sealed a rating of ${work(a.id)}${titleOf(a.id)} (hidden until its window closes)`;
    case "Reviewed": return `${N(a.reviewer)} rated ${work(a.id)}${titleOf(a.id)} ${a.stars} star${Number(a.stars) === 1 ? "" : "s"}`;
    case "Superseded": return `contribution #${a.id} was superseded by #${a.by}`;
    case "Finalized": return a.accepted
      ? `${work(a.id)}${titleOf(a.id)} was accepted at a median of ${a.median} stars: ${units(String(a.points), 18, 2)} points`
      : `${work(a.id)}${titleOf(a.id)} was not accepted (${a.reviewers} reviewers)`;
    case "PointsAwarded": return `${N(a.member)} earned ${units(String(a.points), 18, 2)} points for contribution #${a.contribution}`;
    case "Slashed": return `${N(a.member)} lost ${units(String(a.pointsCut), 18, 2)} points (${Number(a.bps) / 100} %)`;
    case "RevenueReceived": {
      const amount = BigInt(String(a.amount)); const reserve = BigInt(String(a.reserve || "0"));
      return `${tokenAmount(a.token, amount)} received: ${units(String(amount - reserve))} to members, ${units(String(reserve))} to the treasury`;
    }
    case "EthAccepted": return `${tokenAmount(ETH, a.amount)} arrived from ${nameOf(a.from)}`;
    case "Claimed": return `${N(a.member)} claimed ${tokenAmount(a.token, a.amount)}`;
    case "EthClaimed": return `${N(a.member)} claimed ${tokenAmount(ETH, a.amount)}`;
    case "TreasurySpent": return `${tokenAmount(a.token, a.amount)} paid from the treasury to ${nameOf(a.to)}`;
    case "ProposalCreated": return `${N(a.proposer)} proposed ${a.description ? `“${String(a.description).split("\n")[0]}”` : proposalTitle(a.proposalId)}`;
    case "VoteCast": return `${N(a.voter)} voted ${["against", "for", "to abstain on"][Number(a.support)] || "on"} ${proposalTitle(a.proposalId)} with ${units(String(a.weight), 18, 2)} points`;
    case "ProposalQueued": return `${proposalTitle(a.proposalId)} passed and waits in the timelock`;
    case "ProposalExecuted": return `${proposalTitle(a.proposalId)} was carried out`;
    case "DelegateChanged": return `${N(a.delegator)} now votes through ${nameOf(a.toDelegate)}`;
    case "ParameterChanged": {
      const ids = (state.info && state.info.charter.ids) || {};
      const key = Object.keys(ids).find((k) => String(ids[k]) === String(a.parameter));
      return `the members changed the charter's ${key || "parameters"} (the Overview shows its value)`;
    }
    case "DocumentChanged": return "the members changed the charter document";
    case "RevenueTokenSet": return a.allowed ? `${symbol(a.token)} is now accepted as revenue` : `${symbol(a.token)} is no longer accepted as revenue`;
    case "Rollback": return "the chain rolled back: the numbers are read again";
    default: return `${e.event} at block ${e.block}`;
  }
}

function listen() {
  const source = new EventSource("/v1/events?replay=20");
  let timer = null;
  const waiters = {};  // contribution -> the activity lines waiting for its title
  const onEvent = (event) => {
    const e = JSON.parse(event.data);
    const li = document.createElement("li");
    li.textContent = sentence(e);  // what happened, with names; the event itself in data attributes
    li.dataset.event = e.event; li.dataset.block = e.block;
    if (e.timestamp) li.title = `${e.event}, block ${e.block}, ${new Date(e.timestamp * 1000).toLocaleString()}`;
    $("#activity").prepend(li);
    // the work by what its bytes say it is: asked of the relay once per contribution, then the line is said again
    const id = ["Submitted", "ReviewSealed", "Reviewed", "Finalized"].includes(e.event) ? String((e.args || {}).id) : null;
    if (id && !(id in state.titles)) {
      const waiting = (waiters[id] = waiters[id] || []);
      waiting.push([li, e]);
      if (waiting.length === 1) {  // one request per contribution; every line about it is said again
        api(`/v1/contributions/${id}/content`).then((c) => {
          state.titles[id] = c.title || "";
          for (const [line, ev] of waiters[id]) line.textContent = sentence(ev);
        }).catch(() => {}).finally(() => { delete waiters[id]; });
      }
    }
    clearTimeout(timer);
    // new data everywhere, but the Act page is never redrawn under a member filling in a form
    timer = setTimeout(async () => { await load(); if (redrawable()) render(); else refreshVotes(); }, 800);
  };
  for (const name of ["Joined", "Left", "Submitted", "ReviewSealed", "Reviewed", "Finalized", "PointsAwarded", "RevenueReceived", "Claimed", "EthClaimed",
    "ProposalCreated", "VoteCast", "ProposalQueued", "ProposalExecuted", "Suspended", "Reinstated", "Slashed", "TreasurySpent",
    "Committed", "Superseded", "DelegateChanged", "ParameterChanged", "DocumentChanged", "RevenueTokenSet", "EthAccepted",
    "Rollback"]) {
    source.addEventListener(name, onEvent);
  }
}

// the chain's clock moves without events (a dev chain's evm_increaseTime, blocks with no DAO activity):
// read its latest block time again, and redraw the times left when it moved away from what the page counted
async function syncChainTime() {
  let info;
  try { info = await api("/v1/info"); } catch { return; /* offline: the badge says so */ }
  const before = chainNow();
  const health = state.info && state.info.healthy;
  state.info = info;
  if (info.healthy !== health) showVerification();
  state.clockOffset = info.chainTime - Math.floor(Date.now() / 1000);
  if (Math.abs(chainNow() - before) > 30) {
    await load();
    if (redrawable()) render(); else refreshVotes();
  }
}

async function start() {
  $("#connect").addEventListener("click", () => connect().catch((e) => { $("#account").textContent = e.message; }));
  // review pay: anyone may claim it (it always pays the reviewer), so no wallet is needed; the relay pays the gas
  document.addEventListener("click", async (event) => {
    const button = event.target.closest && event.target.closest("[data-review-pay]");
    if (!button) return;
    button.disabled = true;
    const body = { action: "ClaimReviewPay", reviewer: button.dataset.reviewer, epoch: Number(button.dataset.reviewPay), token: button.dataset.token };
    try {
      const sent = await api("/v1/actions", { json: body });
      button.textContent = `claimed through the relay (${String(sent.id).slice(0, 10)}…): paid to the reviewer once mined`;
    } catch (error) {
      button.textContent = error.message;
      button.disabled = false;
    }
  });
  await load();
  window.addEventListener("hashchange", render);
  await render();
  listen();
  setInterval(async () => { try { state.verification = await api("/v1/verification"); showVerification(); } catch { /* offline */ } }, 10000);
  setInterval(syncChainTime, 5000);
}

start().catch((error) => { $("#main").innerHTML = `<p class="error" role="alert">${esc(error.message)}</p>`; });
