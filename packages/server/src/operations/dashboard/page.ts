/**
 * The dashboard page: one self-contained HTML document (no CDN, no external fetch). Its script polls
 * `<path>/stats.json` every second, renders each app's numbers with `textContent` (never HTML from
 * data), and draws messages per second as an inline SVG line. A per-response nonce lets the CSP
 * forbid every other script and style.
 */

export function dashboardPage(options: { statsUrl: string; nonce: string }): string {
  const { statsUrl, nonce } = options;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reverb dashboard</title>
<style nonce="${nonce}">
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2430; }
  header { background: #1d2430; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  header .meta { opacity: .75; font-size: 12px; }
  main { padding: 16px 20px; display: grid; gap: 16px; }
  section.app { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 12px 16px; }
  section.app h2 { font-size: 16px; margin: 0 0 8px; }
  .numbers { display: flex; gap: 24px; flex-wrap: wrap; margin-bottom: 8px; }
  .number b { display: block; font-size: 22px; }
  .number span { font-size: 12px; color: #5b6577; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
  svg.chart { width: 100%; height: 120px; background: #fbfcfd; border: 1px solid #eef0f3; }
  svg.chart polyline { fill: none; stroke: #4f6cf0; stroke-width: 2; }
  svg.chart text { font-size: 11px; fill: #5b6577; }
  .problems li { font-family: ui-monospace, monospace; font-size: 12px; }
  .problems .error { color: #b3261e; }
  .problems .warn { color: #8a5a00; }
  .status { font-size: 12px; }
  .status.down { color: #ffb4ab; }
</style>
</head>
<body>
<header><h1>Reverb</h1><span class="meta" id="node"></span><span class="status" id="status">connecting…</span></header>
<main id="apps"></main>
<main id="workers" hidden><section class="app"><h2>Workers</h2><table class="workers" id="worker-rows"></table></section></main>
<main><section class="app"><h2>Recent warnings and errors</h2><ul class="problems" id="problems"></ul></section></main>
<script nonce="${nonce}">
(() => {
  const STATS_URL = ${JSON.stringify(statsUrl)};
  const POINTS = 60;
  const history = new Map(); // app id -> {last: {t, total}, rates: number[]}
  const el = (tag, attrs = {}, text) => {
    const node = tag === 'svg' || tag === 'polyline' || tag === 'text' || tag === 'line'
      ? document.createElementNS('http://www.w3.org/2000/svg', tag)
      : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  };
  const number = (label, value, id) => {
    const box = el('div', { class: 'number', 'data-metric': id });
    box.append(el('b', {}, value), el('span', {}, label));
    return box;
  };
  function chart(rates) {
    const svg = el('svg', { class: 'chart', viewBox: '0 0 600 120', preserveAspectRatio: 'none', role: 'img',
      'aria-label': 'messages per second' });
    const max = Math.max(1, ...rates);
    const points = rates.map((r, i) => ((i / (POINTS - 1)) * 600).toFixed(1) + ',' + (115 - (r / max) * 105).toFixed(1));
    svg.append(el('polyline', { points: points.join(' ') }));
    svg.append(el('text', { x: 4, y: 12 }, max.toFixed(max < 10 ? 1 : 0) + ' msg/s'));
    svg.append(el('text', { x: 4, y: 116 }, '0'));
    return svg;
  }
  function render(stats) {
    const workers = stats.workers;
    document.getElementById('node').textContent = workers
      ? 'machine of ' + workers.length + ' workers · up ' + Math.round(stats.uptimeSeconds) + ' s'
      : 'node ' + stats.serverId + ' · up ' + Math.round(stats.uptimeSeconds) + ' s';
    renderWorkers(workers);
    const root = document.getElementById('apps');
    const sections = [];
    for (const app of stats.apps) {
      let h = history.get(app.id);
      const total = app.messagesIn + app.messagesOut;
      if (!h) { h = { last: { t: stats.timeMs, total }, rates: new Array(POINTS).fill(0), rate: 0 }; history.set(app.id, h); }
      else if (stats.timeMs > h.last.t) {
        h.rate = ((total - h.last.total) * 1000) / (stats.timeMs - h.last.t);
        h.rates.push(h.rate); h.rates.shift();
        h.last = { t: stats.timeMs, total };
      }
      const section = el('section', { class: 'app', 'data-app': app.id });
      section.append(el('h2', {}, 'App ' + app.id + ' (' + app.key + ')'));
      const numbers = el('div', { class: 'numbers' });
      numbers.append(
        number(workers ? 'connections (every worker)' : 'connections (this node)', app.connections, 'connections'),
        number('channels', app.channels.length, 'channels'),
        number('messages/s', h.rate.toFixed(1), 'rate'),
        number('messages in', app.messagesIn, 'messages-in'),
        number('messages out', app.messagesOut, 'messages-out'),
        number('webhooks sent / failed', app.webhooksDelivered + ' / ' + app.webhookFailures, 'webhooks'),
      );
      section.append(numbers, chart(h.rates));
      const table = el('table', { class: 'channels' });
      const head = el('tr');
      head.append(el('th', {}, 'channel'), el('th', {}, 'subscribers'), el('th', {}, 'presence members'));
      table.append(head);
      for (const channel of app.channels) {
        const row = el('tr', { 'data-channel': channel.name });
        row.append(
          el('td', {}, channel.name),
          el('td', { class: 'subscribers' }, channel.subscriptionCount),
          el('td', { class: 'members' }, channel.members ? channel.members.join(', ') : ''),
        );
        table.append(row);
      }
      if (app.channels.length === 0) {
        const row = el('tr'); row.append(el('td', { colspan: 3 }, 'no occupied channels')); table.append(row);
      }
      section.append(table);
      sections.push(section);
    }
    root.replaceChildren(...sections);
    const problems = document.getElementById('problems');
    problems.replaceChildren(...(stats.problems.length === 0 ? [el('li', {}, 'none')] : stats.problems.slice(-15).reverse().map((p) =>
      el('li', { class: p.level }, new Date(p.timeMs).toISOString() + ' ' + p.level + ' ' + (p.appId ? '[' + p.appId + '] ' : '') + p.message))));
  }
  function renderWorkers(workers) {
    const box = document.getElementById('workers');
    box.hidden = !workers;
    if (!workers) return;
    const head = el('tr');
    for (const name of ['worker', 'pid', 'connections', 'messages in', 'messages out', 'up', 'restarts']) head.append(el('th', {}, name));
    const rows = workers.map((w) => {
      const row = el('tr', { 'data-worker': w.slot });
      for (const value of [w.slot, w.pid, w.connections, w.messagesIn, w.messagesOut, Math.round(w.uptimeSeconds) + ' s', w.restarts]) row.append(el('td', {}, value));
      return row;
    });
    document.getElementById('worker-rows').replaceChildren(head, ...rows);
  }
  async function poll() {
    const status = document.getElementById('status');
    try {
      const response = await fetch(STATS_URL, { credentials: 'same-origin', cache: 'no-store' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      render(await response.json());
      status.textContent = 'live'; status.className = 'status';
    } catch (error) {
      status.textContent = 'disconnected: ' + error.message; status.className = 'status down';
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
</script>
</body>
</html>
`;
}
