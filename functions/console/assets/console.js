// The console's page script: fills the server-rendered pages from the HTTP API (through the console's
// session proxy, /console/api/v1/...) and keeps them current. No framework; uPlot (served by Tide) draws
// the charts. Everything shown is also in the API.

const API = '/console/api/v1';
const POLL_MS = 2000;
const HISTORY = 2000;

/** GET or send JSON through the session proxy; a lost session goes back to sign-in. */
async function api(path, options = {}) {
  const init = { method: options.method ?? 'GET', headers: { accept: 'application/json' } };
  if (options.body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  if (init.method !== 'GET') init.headers['x-tide-console'] = '1';
  for (const [name, value] of Object.entries(options.headers ?? {})) init.headers[name] = value;
  const response = await fetch(`${API}${path}`, init);
  if (response.status === 401) {
    location.assign(`/sign-in?next=${encodeURIComponent(location.pathname)}`);
    throw new Error('signed out');
  }
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text();
  return { status: response.status, ok: response.ok, body, etag: response.headers.get('etag') };
}

function errorText(answer) {
  const error = answer.body?.error;
  if (!error) return `the API answered ${answer.status}`;
  const issues = (error.issues ?? []).map((issue) => issue.message).join('; ');
  return issues ? `${error.message}: ${issues}` : error.message;
}

/** An element with text and attributes (never innerHTML: every value from the API is text). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const money = (value) => (value === null || value === undefined ? '—' : `$${value.toFixed(2)}`);
const clockTime = (ms) => new Date(ms).toISOString().slice(11, 19);
const sum = (pools, field) => pools.reduce((total, pool) => total + pool[field], 0);

/** The metric value a metric signal's detail carries ("name = 12.5 Count"), or null. */
function metricValueOf(decision) {
  if (decision.signal?.kind !== 'metric') return null;
  const match = /^(\S+) = (-?[\d.]+(?:e[-+]?\d+)?)/.exec(decision.signal.detail ?? '');
  return match ? { metric: match[1], value: Number(match[2]) } : null;
}

function health(status) {
  if (!status) return { text: 'unknown', level: 'warn' };
  if (!status.observed) return { text: 'capacity unreadable', level: 'bad' };
  if (status.lastDecision && status.lastDecision.valid === false)
    return { text: 'last decision invalid', level: 'bad' };
  const desired = sum(status.observed.pools, 'desired');
  const ready = sum(status.observed.pools, 'ready');
  if (ready < desired) return { text: `scaling: ${desired - ready} booting`, level: 'warn' };
  return { text: 'healthy', level: 'ok' };
}

// ---- Fleet ---------------------------------------------------------------------------------------------

async function fleet() {
  const status = document.getElementById('fleet-status');
  const body = document.querySelector('#fleet tbody');
  const policies = new Map();
  const refresh = async () => {
    const list = await api('/targets');
    if (!list.ok) {
      status.textContent = errorText(list);
      return;
    }
    const rows = await Promise.all(
      list.body.targets.map(async (target) => {
        const [state, policy] = await Promise.all([
          api(`/targets/${encodeURIComponent(target.id)}/status`),
          policies.has(target.id)
            ? Promise.resolve(policies.get(target.id))
            : api(`/targets/${encodeURIComponent(target.id)}/policy`),
        ]);
        policies.set(target.id, policy);
        return { target, status: state.ok ? state.body : null, policy: policy.ok ? policy.body : null };
      }),
    );
    body.replaceChildren(...rows.map(fleetRow));
    status.textContent = `${rows.length} target${rows.length === 1 ? '' : 's'}, updated ${new Date().toLocaleTimeString()}`;
  };
  await loop(refresh, status);
}

function fleetRow({ target, status, policy }) {
  const pools = status?.observed?.pools ?? [];
  const caps = policy?.spendCaps ?? {};
  const last = status?.lastDecision;
  const state = health(status);
  const pool = (spec) => {
    const seen = pools.find((p) => p.poolId === spec.id);
    return el(
      'li',
      {},
      `${spec.id}: ${spec.capacityType ?? 'on-demand'}${seen ? ` (${seen.ready}/${seen.desired})` : ''}`,
    );
  };
  return el(
    'tr',
    { 'data-target': target.id },
    el('th', { scope: 'row' }, el('a', { href: `/targets/${encodeURIComponent(target.id)}` }, target.id)),
    el('td', {}, target.kind),
    el('td', {}, target.provider),
    el('td', {}, el('ul', { class: 'pools' }, (target.pools ?? []).map(pool))),
    el('td', { class: 'num', 'data-field': 'desired' }, status?.observed ? sum(pools, 'desired') : '—'),
    el('td', { class: 'num', 'data-field': 'ready' }, status?.observed ? sum(pools, 'ready') : '—'),
    el(
      'td',
      { class: 'num' },
      `${money(status?.usdPerHour)} (${caps.targetUsdPerHour ? money(caps.targetUsdPerHour) : 'no cap'})`,
    ),
    el('td', { class: 'num' }, caps.targetUsdPerDay ? money(caps.targetUsdPerDay) : 'no cap'),
    el('td', {}, last ? `${last.outcome} at ${clockTime(last.at)}` : 'none yet'),
    el('td', { class: `health ${state.level}` }, state.text),
  );
}

// ---- Target --------------------------------------------------------------------------------------------

async function target() {
  const id = document.body.dataset.target;
  const path = `/targets/${encodeURIComponent(id)}`;
  const status = document.getElementById('target-status');
  const decisions = new Map();
  const samples = [];
  let policy = null;
  let latest = null;
  const charts = createCharts();

  const refresh = async () => {
    const [state, page, policyAnswer] = await Promise.all([
      api(`${path}/status`),
      api(`${path}/decisions?limit=${decisions.size === 0 ? 100 : 20}`),
      policy ? Promise.resolve(null) : api(`${path}/policy`),
    ]);
    if (!state.ok) {
      status.textContent = errorText(state);
      return;
    }
    if (policyAnswer?.ok) policy = policyAnswer.body;
    latest = state.body;
    if (page.ok) for (const decision of page.body.decisions) decisions.set(decision.id, decision);
    if (latest.observed) {
      samples.push({ at: latest.observed.observedAt, pools: latest.observed.pools });
      if (samples.length > HISTORY) samples.shift();
    }
    const ordered = [...decisions.values()].sort((a, b) => a.at - b.at).slice(-HISTORY);
    renderSummary(latest);
    charts.update({ decisions: ordered, samples, policy, status: latest });
    renderHolds(latest.lastDecision);
    renderTimeline(ordered);
    renderOverride(latest.override);
    status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  };
  setUpFilters(() => renderTimeline([...decisions.values()].sort((a, b) => a.at - b.at)));
  setUpOverride(path, refresh);
  await loop(refresh, status);
}

function renderSummary(state) {
  const pools = state.observed?.pools ?? [];
  const entries = [
    ['Desired', state.observed ? sum(pools, 'desired') : '—'],
    ['Ready', state.observed ? sum(pools, 'ready') : '—'],
    ['Booting', state.observed ? sum(pools, 'pending') : '—'],
    ['$/h now', money(state.usdPerHour)],
    [
      'Pools',
      pools.map((p) => `${p.poolId} (${p.capacityType}, ${p.instanceType}): ${p.ready}/${p.desired}`).join('; ') || '—',
    ],
    ['Plans open', state.activePlans.map((p) => p.label || p.name).join('; ') || 'none'],
    ['Health', health(state).text],
  ];
  document
    .getElementById('summary')
    .replaceChildren(
      ...entries.flatMap(([name, value]) => [
        el('dt', {}, name),
        el('dd', { 'data-field': name.toLowerCase() }, String(value)),
      ]),
    );
}

function renderHolds(decision) {
  const holds = decision?.holds ?? [];
  document
    .getElementById('holds')
    .replaceChildren(
      ...(holds.length === 0
        ? [el('li', {}, 'No holds in the last decision.')]
        : holds.map((hold) => el('li', {}, el('strong', {}, hold.rule), `: ${hold.reason}`))),
    );
}

const filters = { outcome: '', rule: '' };
const openDecisions = new Set();

function setUpFilters(render) {
  for (const name of ['outcome', 'rule']) {
    document.getElementById(`filter-${name}`).addEventListener('change', (event) => {
      filters[name] = event.target.value;
      render();
    });
  }
}

function fillSelect(select, values) {
  const have = new Set([...select.options].map((option) => option.value));
  for (const value of [...values].sort()) if (!have.has(value)) select.append(el('option', { value }, value));
}

function renderTimeline(ordered) {
  fillSelect(document.getElementById('filter-outcome'), new Set(ordered.map((d) => d.outcome)));
  fillSelect(
    document.getElementById('filter-rule'),
    new Set(ordered.flatMap((d) => (d.holds ?? []).map((h) => h.rule))),
  );
  const shown = ordered
    .filter((d) => !filters.outcome || d.outcome === filters.outcome)
    .filter((d) => !filters.rule || (d.holds ?? []).some((h) => h.rule === filters.rule))
    .slice(-100)
    .reverse();
  const list = document.getElementById('timeline');
  list.replaceChildren(
    ...shown.map((decision) => {
      const details = el(
        'details',
        { 'data-decision': decision.id, open: openDecisions.has(decision.id) },
        el(
          'summary',
          {},
          `${clockTime(decision.at)} · ${decision.outcome} · ${decision.currentCapacity} → ${decision.desiredCapacity}`,
          el('span', { class: 'signal' }, ` (${decision.signal?.kind ?? 'signal'}: ${decision.signal?.detail ?? ''})`),
        ),
        el('h3', {}, 'Reasons'),
        el(
          'ul',
          { class: 'reasons' },
          (decision.reasons ?? []).map((reason) => el('li', {}, reason)),
        ),
        (decision.holds ?? []).length > 0
          ? [
              el('h3', {}, 'Held'),
              el(
                'ul',
                { class: 'holds' },
                decision.holds.map((hold) => el('li', {}, el('strong', {}, hold.rule), `: ${hold.reason}`)),
              ),
            ]
          : null,
        (decision.actions ?? []).length > 0
          ? [
              el('h3', {}, 'Actions'),
              el(
                'ul',
                {},
                decision.actions.map((a) => el('li', {}, a.reason ?? a.type)),
              ),
            ]
          : null,
      );
      details.addEventListener('toggle', () => {
        if (details.open) openDecisions.add(decision.id);
        else openDecisions.delete(decision.id);
      });
      details.querySelector('summary').addEventListener('focus', () => readout(decision));
      return el('li', {}, details);
    }),
  );
}

function readout(decision) {
  document.getElementById('chart-readout').textContent =
    `${clockTime(decision.at)} ${decision.outcome} ${decision.currentCapacity} → ${decision.desiredCapacity}: ${(decision.reasons ?? []).join(' · ')}`;
}

function renderOverride(override) {
  document.getElementById('override-now').textContent = override
    ? `Pinned at ${override.capacity} until ${clockTime(override.expiresAt)}: ${override.reason}`
    : 'No override.';
}

function setUpOverride(path, refresh) {
  const form = document.getElementById('override');
  const result = document.getElementById('override-result');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const answer = await api(`${path}/override`, {
      method: 'POST',
      body: {
        capacity: Number(data.get('capacity')),
        durationSeconds: Number(data.get('minutes')) * 60,
        reason: String(data.get('reason')),
      },
    });
    result.textContent = answer.ok ? 'Override set.' : `Not set: ${errorText(answer)}`;
    await refresh();
  });
  document.getElementById('override-cancel').addEventListener('click', async () => {
    const answer = await api(`${path}/override`, { method: 'DELETE', body: { reason: 'cancelled in the console' } });
    result.textContent = answer.ok ? 'Override cancelled.' : `Not cancelled: ${errorText(answer)}`;
    await refresh();
  });
}

// ---- Policy editor -------------------------------------------------------------------------------------

async function editor() {
  const id = document.body.dataset.target;
  const path = `/targets/${encodeURIComponent(id)}/policy`;
  const text = document.getElementById('policy-text');
  const problems = document.getElementById('policy-problems');
  const result = document.getElementById('save-result');
  const dry = document.getElementById('dry-run');
  const replay = document.getElementById('replay');
  let etag = null;
  let timer = null;
  let checked = 0;

  const load = async () => {
    const answer = await api(path);
    if (answer.status === 404) {
      etag = null;
      text.value = '{}\n';
    } else if (answer.ok) {
      etag = answer.etag;
      text.value = `${JSON.stringify(answer.body, null, 2)}\n`;
    } else {
      result.textContent = errorText(answer);
      return;
    }
    await check();
  };

  const check = async () => {
    const mine = ++checked;
    const response = await fetch(`/console/check${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tide-console': '1' },
      body: JSON.stringify({ text: text.value }),
    });
    if (response.status === 401) return location.assign(`/sign-in?next=${encodeURIComponent(location.pathname)}`);
    const answer = await response.json();
    if (mine !== checked) return;
    if (!response.ok) {
      problems.replaceChildren(el('p', { class: 'error' }, answer.error?.message ?? `answered ${response.status}`));
      return;
    }
    text.setAttribute('aria-invalid', answer.valid ? 'false' : 'true');
    problems.replaceChildren(
      answer.valid
        ? el('p', { class: 'ok' }, 'Valid policy.')
        : el(
            'ul',
            { class: 'problems' },
            answer.problems.map((problem) => el('li', { class: 'error' }, problem.message)),
          ),
    );
    renderDryRun(dry, answer.dryRun);
    renderReplay(replay, answer.replay);
  };

  text.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void check(), 300);
  });
  document.getElementById('policy-reload').addEventListener('click', () => {
    result.textContent = '';
    void load();
  });
  document.getElementById('editor').addEventListener('submit', async (event) => {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse(text.value);
    } catch {
      result.textContent = 'Not saved: the policy is not JSON (see the messages above).';
      return;
    }
    const answer = await api(path, {
      method: 'PUT',
      body,
      headers: etag ? { 'if-match': etag } : { 'if-none-match': '*' },
    });
    if (answer.ok) {
      etag = answer.etag;
      result.textContent = 'Saved.';
    } else if (answer.status === 412) {
      result.textContent =
        'Not saved: someone else saved this policy after you opened it. Your text is still here; reload the saved policy to see theirs, then apply your change again.';
    } else result.textContent = `Not saved: ${errorText(answer)}`;
  });
  await load();
}

/** The recent signals: what was decided for each, and what the policy being edited would have decided. */
function renderReplay(container, rows) {
  if (!rows) {
    container.replaceChildren(el('p', {}, 'Type a valid policy to see it.'));
    return;
  }
  if (rows.error) {
    container.replaceChildren(el('p', { class: 'error' }, rows.error));
    return;
  }
  if (rows.length === 0) {
    container.replaceChildren(el('p', {}, 'No recent signals recorded for this target yet.'));
    return;
  }
  const changed = rows.filter((row) => row.proposed.desiredCapacity !== row.decided.desiredCapacity).length;
  const hasSaved = rows.some((row) => row.saved);
  const changedFromSaved = rows.filter(
    (row) => row.saved && row.proposed.desiredCapacity !== row.saved.desiredCapacity,
  ).length;
  container.replaceChildren(
    el(
      'p',
      { id: 'replay-summary' },
      `${rows.length} signals; ${changed} would have led to another capacity.` +
        (hasSaved
          ? ` Replayed alike from an empty memory, the saved policy and this one differ on ${changedFromSaved}.`
          : ''),
    ),
    el(
      'div',
      { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'replay-caption' },
      el(
        'table',
        { id: 'replay-table' },
        el(
          'caption',
          { id: 'replay-caption' },
          'Recent signals, oldest first: decided, the saved policy replayed, and this policy replayed',
        ),
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ['Time', 'Signal', 'Decided', 'Saved policy, replayed', 'This policy, replayed', 'Why'].map((name) =>
              el('th', { scope: 'col' }, name),
            ),
          ),
        ),
        el(
          'tbody',
          {},
          rows.map((row) =>
            el(
              'tr',
              {
                'data-differs': row.proposed.desiredCapacity !== row.decided.desiredCapacity ? 'true' : 'false',
                'data-differs-saved':
                  row.saved && row.proposed.desiredCapacity !== row.saved.desiredCapacity ? 'true' : 'false',
              },
              el('td', {}, clockTime(row.at)),
              el('td', {}, row.signal),
              el('td', { 'data-field': 'decided' }, `${row.decided.outcome} → ${row.decided.desiredCapacity}`),
              el(
                'td',
                { 'data-field': 'saved' },
                row.saved ? `${row.saved.outcome} → ${row.saved.desiredCapacity}` : 'no saved policy',
              ),
              el('td', { 'data-field': 'proposed' }, `${row.proposed.outcome} → ${row.proposed.desiredCapacity}`),
              el('td', {}, row.proposed.reason),
            ),
          ),
        ),
      ),
    ),
  );
}

function renderDryRun(container, dryRun) {
  if (!dryRun) {
    container.replaceChildren(el('p', {}, 'Type a valid policy to see it.'));
    return;
  }
  if (dryRun.error) {
    container.replaceChildren(el('p', { class: 'error' }, dryRun.error));
    return;
  }
  const column = (title, decision) =>
    el(
      'div',
      { class: 'dry-run-column' },
      el('h3', {}, title),
      el(
        'p',
        { 'data-field': 'outcome' },
        `${decision.outcome}: ${decision.currentCapacity} → ${decision.desiredCapacity}`,
      ),
      el(
        'ul',
        {},
        decision.reasons.map((reason) => el('li', {}, reason)),
      ),
    );
  container.replaceChildren(
    column('Under this policy', dryRun.proposed),
    column('Under the saved policy', dryRun.current),
  );
}

// ---- Simulate ------------------------------------------------------------------------------------------

function simulatePage() {
  const form = document.getElementById('simulate');
  const status = document.getElementById('sim-status');
  const progress = document.getElementById('sim-progress');
  const error = document.getElementById('sim-error');
  const results = document.getElementById('sim-results');
  let chart = null;
  document.getElementById('trace-file').addEventListener('change', () => {
    form.querySelector('input[value="upload"]').checked = true;
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const source = new FormData(form).get('source');
    let body;
    if (source === 'upload') {
      const file = document.getElementById('trace-file').files[0];
      if (!file) {
        error.textContent = 'Choose a trace file first.';
        return;
      }
      body = { trace: await file.text(), name: file.name };
    } else body = { workload: document.getElementById('workload').value };
    const started = Date.now();
    progress.removeAttribute('value');
    progress.hidden = false;
    form.querySelector('button').disabled = true;
    status.textContent = 'Reading the trace…';
    try {
      const response = await fetch('/console/simulate', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tide-console': '1' },
        body: JSON.stringify(body),
      });
      if (response.status === 401) return location.assign('/sign-in?next=%2Fsimulate');
      if (!response.ok) {
        const answer = await response.json().catch(() => ({}));
        error.textContent = `Not run: ${answer.error?.message ?? response.status}`;
        status.textContent = '';
        return;
      }
      // NDJSON: ready, progress…, then result or error, each line as the server's worker reports it.
      let outcome = null;
      await readLines(response.body, (line) => {
        const event = JSON.parse(line);
        if (event.type === 'ready') status.textContent = `Replaying ${event.requests} requests…`;
        else if (event.type === 'progress') {
          progress.max = 1;
          progress.value = event.fraction;
          progress.setAttribute('aria-valuetext', `${Math.round(event.fraction * 100)} %`);
          status.textContent = `Replaying ${event.run} (${event.index + 1} of ${event.count}): ${Math.round(event.fraction * 100)} % done`;
        } else outcome = event;
      });
      if (outcome?.type !== 'result') {
        error.textContent = `Not finished: ${outcome?.message ?? 'the connection closed'}`;
        status.textContent = '';
        return;
      }
      const result = outcome.result;
      status.textContent = `Done in ${Math.round((Date.now() - started) / 1000)} s: ${result.workload.name}, ${result.workload.requests} requests.`;
      // Shown first, so the chart measures the width it gets.
      results.hidden = false;
      chart = renderSimulation(result, chart);
    } catch (failure) {
      error.textContent = `Not run: ${failure.message}`;
    } finally {
      progress.hidden = true;
      form.querySelector('button').disabled = false;
    }
  });
}

/** Call `onLine` for each line of a streamed body as it arrives. */
async function readLines(body, onLine) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let end = buffered.indexOf('\n');
    while (end >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      if (line.trim() !== '') onLine(line);
      end = buffered.indexOf('\n');
    }
  }
  if (buffered.trim() !== '') onLine(buffered);
}

function renderSimulation(result, previous) {
  const seconds = (ms) => (ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`);
  document
    .querySelector('#sim-table tbody')
    .replaceChildren(
      ...result.runs.map((run) =>
        el(
          'tr',
          { 'data-run': run.name },
          el('th', { scope: 'row' }, run.name),
          el('td', { class: 'num' }, money(run.costUsd)),
          el('td', { class: 'num' }, run.gpuHours.toFixed(2)),
          el('td', { class: 'num' }, seconds(run.p50Ms)),
          el('td', { class: 'num' }, seconds(run.p95Ms)),
          el('td', { class: 'num' }, seconds(run.p99Ms)),
          el('td', { class: 'num' }, `${(run.sloViolationShare * 100).toFixed(2)} %`),
        ),
      ),
    );
  const minutes = result.workload.neededPerMinute.map((_, i) => i * 60);
  const data = [minutes, result.workload.neededPerMinute, ...result.runs.map((run) => run.readyPerMinute)];
  previous?.destroy();
  const element = document.getElementById('sim-capacity');
  element.replaceChildren();
  return new window.uPlot(
    {
      width: chartWidth(element),
      height: 280,
      scales: { x: { time: false } },
      axes: [{ label: 'minutes', values: (_, ticks) => ticks.map((t) => Math.round(t / 60)) }, {}],
      series: [
        {},
        { label: 'needed', stroke: '#000', dash: [6, 4], points: { show: false } },
        ...result.runs.map((run, i) => ({
          label: run.name,
          stroke: run.name === 'tide' ? '#d62728' : COLORS[i % COLORS.length],
          width: run.name === 'tide' ? 2.5 : 1,
          points: { show: false },
        })),
      ],
    },
    data,
    element,
  );
}

// ---- Charts --------------------------------------------------------------------------------------------

const COLORS = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#17becf', '#bcbd22'];

function chartWidth(element) {
  return Math.max(280, Math.min(1200, element.clientWidth || 600));
}

function createCharts() {
  const uPlot = window.uPlot;
  const metricEl = document.getElementById('metric-chart');
  const capacityEl = document.getElementById('capacity-chart');
  let metricChart = null;
  let capacityChart = null;
  let poolKey = '';
  let markers = [];
  let plans = [];

  const shadePlans = (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.fillStyle = 'rgba(255, 200, 0, 0.15)';
    for (const plan of plans) {
      const from = u.valToPos(plan.from / 1000, 'x', true);
      const to = u.valToPos(plan.to / 1000, 'x', true);
      const left = Math.max(bbox.left, Math.min(from, to));
      const right = Math.min(bbox.left + bbox.width, Math.max(from, to));
      if (right > left) ctx.fillRect(left, bbox.top, right - left, bbox.height);
    }
    ctx.restore();
  };

  const onCursor = (u) => {
    const index = u.cursor.idx;
    if (index === null || index === undefined) return;
    const at = u.data[0][index] * 1000;
    const decision = markers.find((d) => Math.abs(d.at - at) < 1);
    if (decision) readout(decision);
  };

  return {
    update({ decisions, samples, policy, status }) {
      const metric = policy?.targetTracking?.[0];
      markers = decisions;
      plans = (status.activePlans ?? [])
        .filter((plan) => plan.windowEnd)
        .map((plan) => ({ from: status.observed?.observedAt ?? Date.now(), to: plan.windowEnd }));

      // Metric against target, one point per decision on a metric signal; every decision is a marker.
      const xs = decisions.map((d) => d.at / 1000);
      const values = decisions.map((d) => metricValueOf(d)?.value ?? null);
      const target = decisions.map(() => metric?.targetValue ?? null);
      const marks = decisions.map((d, i) => (d.outcome === 'hold' ? null : (values[i] ?? 0)));
      const metricData = [xs, values, target, marks];
      if (!metricChart) {
        metricChart = new uPlot(
          {
            width: chartWidth(metricEl),
            height: 240,
            scales: { x: { time: true } },
            series: [
              {},
              { label: metric?.metric ?? 'metric', stroke: COLORS[0], spanGaps: true, points: { show: false } },
              { label: 'target', stroke: '#d62728', dash: [6, 4], points: { show: false } },
              {
                label: 'decision (scale)',
                stroke: '#000',
                width: 0,
                points: { show: true, size: 9, fill: '#ff7f0e', stroke: '#000' },
              },
            ],
            hooks: { setCursor: [onCursor], drawClear: [shadePlans] },
          },
          metricData,
          metricEl,
        );
      } else metricChart.setData(metricData);

      // Capacity: ready stacked by pool (what this page observed), desired as a line (history: the log).
      const poolIds = [...new Set(samples.flatMap((s) => s.pools.map((p) => p.poolId)))];
      const rows = [
        ...decisions.map((d) => ({ at: d.at, desired: d.desiredCapacity, pools: null })),
        ...samples.map((s) => ({ at: s.at, desired: sum(s.pools, 'desired'), pools: s.pools })),
      ].sort((a, b) => a.at - b.at);
      const capacityData = [rows.map((r) => r.at / 1000), rows.map((r) => r.desired)];
      for (const poolId of poolIds) {
        capacityData.push(
          rows.map((r) => {
            if (!r.pools) return null;
            // Stacked: this pool's ready plus every pool's before it.
            const upTo = r.pools.findIndex((p) => p.poolId === poolId) + 1;
            return r.pools.slice(0, upTo).reduce((t, p) => t + p.ready, 0);
          }),
        );
      }
      const key = poolIds.join(',');
      if (!capacityChart || key !== poolKey) {
        capacityChart?.destroy();
        poolKey = key;
        capacityChart = new uPlot(
          {
            width: chartWidth(capacityEl),
            height: 240,
            scales: { x: { time: true } },
            series: [
              {},
              { label: 'desired', stroke: '#d62728', width: 2, spanGaps: true, points: { show: false } },
              ...poolIds.map((poolId, i) => ({
                label: `ready: ${poolId}`,
                stroke: COLORS[(i + 1) % COLORS.length],
                fill: `${COLORS[(i + 1) % COLORS.length]}55`,
                spanGaps: true,
                points: { show: false },
              })),
            ],
            hooks: { drawClear: [shadePlans] },
          },
          capacityData,
          capacityEl,
        );
      } else capacityChart.setData(capacityData);
    },
  };
}

// ---- Start ---------------------------------------------------------------------------------------------

/** Run `refresh` now and every POLL_MS while the page is visible; report failures without stopping. */
async function loop(refresh, status) {
  let running = false;
  const tick = async () => {
    if (running || document.hidden) return;
    running = true;
    try {
      await refresh();
    } catch (error) {
      if (error.message !== 'signed out') status.textContent = `Could not update: ${error.message}`;
    } finally {
      running = false;
    }
  };
  await tick();
  setInterval(tick, POLL_MS);
}

const pages = { fleet, target, editor, simulate: simulatePage };
const start = () => pages[document.body.dataset.page]?.();
if (document.readyState === 'complete') start();
else window.addEventListener('load', start);
