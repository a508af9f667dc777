// The topology page: polls /topology.json and redraws what changed. Every
// value from the cluster is set with textContent, never parsed as HTML, so
// object names and annotations cannot inject markup or script.
"use strict";

const POLL_MS = 500;
let shown = -1;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function table(headers, rows) {
  const head = el("tr", {}, ...headers.map((h) => el("th", { text: h })));
  const body = rows.map((cells) =>
    el("tr", {}, ...cells.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", { text: String(c ?? "") })))));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...body));
}

function matchText(m) {
  const parts = [];
  if (m.method) parts.push(m.method);
  if (m.path) parts.push(`${m.path.type} ${m.path.value}`);
  for (const h of m.headers || []) parts.push(`${h.name}: ${h.value}`);
  return parts.length ? parts.join("  ") : "any";
}

function actionNode(a) {
  if ("fixedResponse" in a) return el("span", { text: `fixed ${a.fixedResponse}` });
  const total = a.forward.reduce((s, t) => s + t.weight, 0);
  const span = el("span");
  a.forward.forEach((t, i) => {
    const pct = total ? Math.round((100 * t.weight) / total) : 0;
    if (i) span.append(el("br"));
    span.append(el("code", { text: t.targetGroup }), " ", el("span", { class: "weight", text: `${t.weight}` }), ` (${pct}%)`);
  });
  return span;
}

function drawNetworks(t) {
  return t.serviceNetworks.map((sn) => {
    const services = t.services.filter((s) => s.serviceNetworks.includes(sn.name)).map((s) => s.name);
    return el("div", { class: "card" },
      el("h3", { text: sn.name }),
      el("div", { class: "muted", text: `Gateway ${sn.gateway} · auth ${sn.authType}${sn.authOrigin ? " by " + sn.authOrigin : ""}` }),
      el("div", { text: `services: ${services.join(", ") || "none"}` }));
  });
}

function drawServices(t) {
  return t.services.map((s) => {
    const card = el("div", { class: "card", "data-service": s.name },
      el("h3", { text: s.name }),
      el("div", { class: "muted", text: `${s.routeKind} ${s.route}${s.customDomainName ? " · " + s.customDomainName : ""} · auth ${s.authType}${s.authOrigin ? " by " + s.authOrigin : ""}` }));
    for (const l of s.listeners) {
      card.append(el("div", {}, el("strong", { text: `${l.protocol}:${l.port}` }), " default ", actionNode(l.defaultAction)));
      card.append(table(["priority", "match", "action (weight, share)", "mapping", "weighting"],
        l.rules.map((r) => [r.priority, matchText(r.match), actionNode(r.action), r.origin.plugin, r.origin.weighting || ""])));
    }
    return card;
  });
}

function drawTargetGroups(t) {
  return [table(["target group", "backend", "protocol", "targets", "routes"],
    t.targetGroups.map((g) => [el("code", { text: g.name }), g.backend, `${g.protocol}:${g.port}`,
      g.targets.map((x) => `${x.ip}:${x.port}`).join(", ") || "none", g.routes.join(", ")]))];
}

function drawRoutes(t) {
  const kept = new Map(t.kept.map((k) => [k.route, k]));
  return [table(["route", "conditions", "kept"], t.routes.map((r) => {
    const badges = el("span");
    for (const c of r.conditions) {
      const b = el("span", { class: `badge ${c.status}`, title: `${c.parent}: ${c.message}`, text: `${c.type}=${c.status} ${c.reason}` });
      badges.append(b);
    }
    const k = kept.get(`${r.namespace}/${r.name}`);
    return [`${r.kind} ${r.namespace}/${r.name}`, badges, k ? `${k.plugin}: ${k.message}` : ""];
  }))];
}

function draw(t) {
  const parts = { networks: drawNetworks, services: drawServices, "target-groups": drawTargetGroups, routes: drawRoutes };
  for (const [id, f] of Object.entries(parts)) document.getElementById(id).replaceChildren(...f(t));
}

async function poll() {
  const state = document.getElementById("state");
  try {
    const res = await fetch("topology.json", { cache: "no-store" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const t = await res.json();
    if (t.version !== shown) {
      draw(t);
      shown = t.version;
    }
    state.className = "state";
    state.textContent = `live · version ${t.version} · ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    state.className = "state stale";
    state.textContent = `not reachable (${e.message}); retrying`;
  }
  setTimeout(poll, POLL_MS);
}

poll();
