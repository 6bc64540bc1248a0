/**
 * The console's pages, rendered on the server with hono's `html` template (every interpolation escaped).
 * A page is a document with its landmarks, headings, labelled controls and empty regions; the page script
 * (assets/console.js) fills the regions from the API and keeps them current. Without the script a page
 * says that it needs it.
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { assetUrl } from './assets.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

function layout(options: {
  title: string;
  page: string;
  body: Html;
  signedIn: boolean;
  data?: Record<string, string>;
}): Html {
  const data = Object.entries(options.data ?? {})
    .map(([name, value]) => html` data-${raw(name)}="${value}"`)
    .reduce<Html>((all, part) => html`${all}${part}`, html``);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Tide</title>
<link rel="stylesheet" href="${assetUrl('uplot.css')}">
<link rel="stylesheet" href="${assetUrl('console.css')}">
<link rel="icon" href="data:,">
</head>
<body data-page="${options.page}"${data}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Tide</a>
  ${
    options.signedIn
      ? html`<nav aria-label="Console"><a href="/">Fleet</a> <a href="/simulate">Simulate</a></nav>
  <form method="post" action="/sign-out" class="sign-out"><button type="submit">Sign out</button></form>`
      : ''
  }
</header>
<main id="main" tabindex="-1">
${options.body}
</main>
<noscript><p class="error">The console needs JavaScript; the same data is in the HTTP API (<a href="/docs">/docs</a>).</p></noscript>
${options.signedIn ? html`<script src="${assetUrl('uplot.js')}" defer></script><script src="${assetUrl('console.js')}" type="module"></script>` : ''}
</body>
</html>`;
}

export function signInPage(options: { error?: string; next?: string }): Html {
  return layout({
    title: 'Sign in',
    page: 'sign-in',
    signedIn: false,
    body: html`<h1>Sign in</h1>
<p>Sign in with a Tide API key (<code>tide keys create --scopes read</code>, or the key <code>tide serve</code> printed at its first start). A key with the <code>read</code> scope sees everything; edits need <code>write</code>.</p>
${options.error ? html`<p class="error" role="alert" id="sign-in-error">${options.error}</p>` : ''}
<form method="post" action="/sign-in" class="sign-in">
  <label for="key">API key</label>
  <input id="key" name="key" type="password" autocomplete="current-password" required maxlength="200" spellcheck="false"
    ${options.error ? raw('aria-describedby="sign-in-error" aria-invalid="true"') : ''}>
  <input type="hidden" name="next" value="${options.next ?? '/'}">
  <button type="submit">Sign in</button>
</form>
<p class="hint">The key stays on the server: the browser keeps only a session cookie that scripts cannot read.</p>`,
  });
}

export function fleetPage(): Html {
  return layout({
    title: 'Fleet',
    page: 'fleet',
    signedIn: true,
    body: html`<h1>Fleet</h1>
<p id="fleet-status" class="status" role="status" aria-live="polite">Loading the fleet…</p>
<div class="table-wrap" tabindex="0" role="region" aria-labelledby="fleet-caption">
<table id="fleet">
  <caption id="fleet-caption">Every target: capacity now, spend against its caps, the last decision</caption>
  <thead><tr>
    <th scope="col">Target</th><th scope="col">Kind</th><th scope="col">Provider</th><th scope="col">Pools</th>
    <th scope="col">Desired</th><th scope="col">Ready</th><th scope="col">$/h now (cap)</th>
    <th scope="col">$/day cap</th><th scope="col">Last decision</th><th scope="col">Health</th>
  </tr></thead>
  <tbody></tbody>
</table>
</div>`,
  });
}

export function targetPage(targetId: string): Html {
  return layout({
    title: targetId,
    page: 'target',
    signedIn: true,
    data: { target: targetId },
    body: html`<p><a href="/">← Fleet</a></p>
<h1>Target <span class="mono">${targetId}</span></h1>
<p id="target-status" class="status" role="status" aria-live="polite">Loading…</p>
<p><a href="/targets/${targetId}/policy">Edit the policy</a></p>
<section aria-labelledby="now-heading">
  <h2 id="now-heading">Now</h2>
  <dl id="summary" class="summary"></dl>
</section>
<section aria-labelledby="metric-heading">
  <h2 id="metric-heading">Metric against its target</h2>
  <div id="metric-chart" class="chart" role="img" aria-label="The tracked metric against its target over time; decisions are marked"></div>
  <p id="chart-readout" class="readout" aria-live="polite">Hover a decision marker (or focus a decision below) for its reasons.</p>
</section>
<section aria-labelledby="capacity-heading">
  <h2 id="capacity-heading">Desired and ready capacity</h2>
  <div id="capacity-chart" class="chart" role="img" aria-label="Ready capacity stacked by pool, and desired capacity, over time; open plan windows shaded"></div>
  <p class="hint">Ready capacity stacked by pool; desired as a line. History before this page opened comes from the decision log (desired only).</p>
</section>
<section aria-labelledby="holds-heading">
  <h2 id="holds-heading">Holds</h2>
  <ul id="holds"></ul>
</section>
<section aria-labelledby="timeline-heading">
  <h2 id="timeline-heading">Decisions</h2>
  <form class="filters" id="filters">
    <label for="filter-outcome">Outcome</label>
    <select id="filter-outcome"><option value="">all</option></select>
    <label for="filter-rule">Rule</label>
    <select id="filter-rule"><option value="">all</option></select>
  </form>
  <ol id="timeline" class="timeline"></ol>
</section>
<section aria-labelledby="override-heading">
  <h2 id="override-heading">Override</h2>
  <p id="override-now">No override.</p>
  <form id="override" class="override">
    <label for="override-capacity">Capacity</label>
    <input id="override-capacity" name="capacity" type="number" min="0" max="100000" step="1" required>
    <label for="override-minutes">For (minutes)</label>
    <input id="override-minutes" name="minutes" type="number" min="1" max="10080" step="1" value="60" required>
    <label for="override-reason">Reason</label>
    <input id="override-reason" name="reason" type="text" maxlength="500" required>
    <button type="submit">Pin capacity</button>
    <button type="button" id="override-cancel">Cancel override</button>
  </form>
  <p id="override-result" role="status" aria-live="polite"></p>
</section>`,
  });
}

export function editorPage(targetId: string): Html {
  return layout({
    title: `Policy of ${targetId}`,
    page: 'editor',
    signedIn: true,
    data: { target: targetId },
    body: html`<p><a href="/targets/${targetId}">← Target ${targetId}</a></p>
<h1>Policy of <span class="mono">${targetId}</span></h1>
<p class="hint">Checked as you type with the messages of <code>tide validate</code>; when it is valid, a dry run shows what Tide would do now under it, next to the saved policy, and the recent signals are replayed under it. Saving needs the <code>write</code> scope and only replaces the version you opened.</p>
<form id="editor" class="editor">
  <label for="policy-text">Policy (JSON)</label>
  <textarea id="policy-text" name="policy" rows="24" spellcheck="false" aria-describedby="policy-problems"></textarea>
  <div id="policy-problems" role="status" aria-live="polite"></div>
  <button type="submit" id="policy-save">Save</button>
  <button type="button" id="policy-reload">Reload the saved policy</button>
</form>
<p id="save-result" role="alert"></p>
<section aria-labelledby="dry-run-heading">
  <h2 id="dry-run-heading">What would Tide do now</h2>
  <div id="dry-run" class="dry-run"><p>Type a valid policy to see it.</p></div>
</section>
<section aria-labelledby="replay-heading">
  <h2 id="replay-heading">Replay of the recent signals</h2>
  <p class="hint">The target's recent signals decided again under this policy (a dry run, from an empty memory at the oldest), beside what was decided.</p>
  <div id="replay" class="replay"><p>Type a valid policy to see it.</p></div>
</section>`,
  });
}

export function simulatePage(workloads: readonly { name: string; description: string }[]): Html {
  return layout({
    title: 'Simulate',
    page: 'simulate',
    signedIn: true,
    body: html`<h1>Simulate</h1>
<p class="hint">Replays a request trace through Tide's decision core and through static peak, Kubernetes HPA, AWS target tracking, KEDA and Knative on the same simulated cloud (what <code>tide simulate</code> does).</p>
<form id="simulate" class="simulate">
  <fieldset>
    <legend>Trace</legend>
    <label><input type="radio" name="source" value="workload" checked> A bundled workload</label>
    <label for="workload">Workload</label>
    <select id="workload" name="workload">
      ${workloads.map((w) => html`<option value="${w.name}">${w.name}: ${w.description}</option>`)}
    </select>
    <label><input type="radio" name="source" value="upload"> Upload a trace CSV (TIMESTAMP[,ContextTokens,GeneratedTokens])</label>
    <label for="trace-file">Trace file</label>
    <input id="trace-file" name="trace" type="file" accept=".csv,text/csv">
  </fieldset>
  <button type="submit">Run the simulation</button>
</form>
<div id="sim-status" role="status" aria-live="polite"></div>
<progress id="sim-progress" hidden max="1" aria-label="Simulation progress"></progress>
<p id="sim-error" class="error" role="alert"></p>
<section id="sim-results" hidden aria-labelledby="sim-heading">
  <h2 id="sim-heading">Results</h2>
  <div class="table-wrap" tabindex="0" role="region" aria-labelledby="sim-caption">
  <table id="sim-table">
    <caption id="sim-caption">Each autoscaler on the same trace: cost, GPU-hours, time to first token, SLO</caption>
    <thead><tr><th scope="col">Autoscaler</th><th scope="col">Cost</th><th scope="col">GPU-hours</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">p99</th><th scope="col">Requests over the SLO</th></tr></thead>
    <tbody></tbody>
  </table>
  </div>
  <h3>Ready capacity over time against what the load needed</h3>
  <div id="sim-capacity" class="chart" role="img" aria-label="Ready replicas per minute for each autoscaler, and the replicas the load needed"></div>
</section>`,
  });
}
