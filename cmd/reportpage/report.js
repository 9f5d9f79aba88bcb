'use strict';
// The coverage report's page: draws the table and the calendars from the
// JSON in #lake-data, sorts and filters the table, and opens a series'
// calendar of days when its row is clicked. No network, no libraries.
(() => {
  const DAY = 86400000;
  const MAX_DAY_CELLS = 120; // a longer lake is drawn one cell a month
  const STRIP_WIDTH = 480;
  const NOTES_SHOWN = 500;
  const SVGNS = 'http://www.w3.org/2000/svg';
  const NAME = { c: 'complete', p: 'partial', m: 'missing', g: 'gap at Binance', n: 'not stored' };
  const BY_SEVERITY = ['c', 'g', 'p', 'm']; // a month shows its worst day
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

  const data = JSON.parse(document.getElementById('lake-data').textContent);
  const series = data.series || [];

  const dayOf = (s) => Date.parse(s + 'T00:00:00Z');
  const isoDay = (t) => new Date(t).toISOString().slice(0, 10);
  const monthOf = (t) => { const d = new Date(t); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1); };
  const nextMonth = (t) => { const d = new Date(t); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1); };
  const weekday = (t) => (new Date(t).getUTCDay() + 6) % 7; // Monday 0

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, title) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (title !== undefined) e.appendChild(document.createElementNS(SVGNS, 'title')).textContent = title;
    return e;
  }
  function human(n) {
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : String(n)) + ' ' + u[i];
  }
  function age(sec) {
    sec = Math.max(0, Math.round(sec));
    const d = Math.floor(sec / 86400), h = Math.floor(sec % 86400 / 3600), m = Math.floor(sec % 3600 / 60);
    if (d) return d + 'd ' + h + 'h';
    if (h) return h + 'h ' + m + 'm';
    if (m) return m + 'm';
    return sec + 's';
  }
  const shortTime = (s) => (s ? s.replace('T', ' ').replace(/(:00)?Z$/, '') : '-');
  const note = (s, t) => (s.notes && s.notes[isoDay(t)]) || '';

  // Each series' days: [_first, _end) in ms.
  let lo = Infinity, hi = -Infinity;
  for (const s of series) {
    if (!s.days) continue;
    s._first = dayOf(s.first_day);
    s._end = s._first + s.days.length * DAY;
    lo = Math.min(lo, s._first);
    hi = Math.max(hi, s._end);
  }

  // The time axis the strips share, so that a day lines up across series.
  const cells = [];
  const byMonth = hi > lo && (hi - lo) / DAY > MAX_DAY_CELLS;
  if (hi > lo && !byMonth) {
    for (let t = lo; t < hi; t += DAY) cells.push({ start: t, end: t + DAY, label: isoDay(t) });
  } else if (byMonth) {
    for (let t = monthOf(lo); t < hi; t = nextMonth(t)) cells.push({ start: t, end: nextMonth(t), label: isoDay(t).slice(0, 7) });
  }
  const cw = Math.max(3, Math.min(14, Math.floor(STRIP_WIDTH / Math.max(cells.length, 1))));
  if (cells.length) {
    document.getElementById('axis').textContent = 'Calendar: ' + cells[0].label + ' to ' + cells[cells.length - 1].label +
      (byMonth ? ', a cell a month showing its worst day; click a row for its days' : ', a cell a day; click a row for its calendar');
  }

  function strip(s) {
    const counts = cells.map(() => ({ c: 0, p: 0, m: 0, g: 0 }));
    if (s.days) {
      let ci = 0;
      for (let i = 0; i < s.days.length; i++) {
        const t = s._first + i * DAY;
        while (ci < cells.length - 1 && cells[ci].end <= t) ci++;
        counts[ci][s.days[i]]++;
      }
    }
    const g = svg('svg', { class: 'strip', width: cells.length * cw, height: 14, role: 'img',
      'aria-label': s.symbol + ' ' + (byMonth ? 'by month' : 'by day') });
    cells.forEach((cell, i) => {
      const n = counts[i];
      let st = 'n';
      for (const k of BY_SEVERITY) if (n[k] > 0) st = k;
      let title = cell.label + ': ' + NAME[st];
      if (byMonth && st !== 'n') {
        title = cell.label + ': ' + BY_SEVERITY.slice().reverse().filter((k) => n[k]).map((k) => n[k] + ' ' + NAME[k]).join(', ');
      } else if (note(s, cell.start)) {
        title += ': ' + note(s, cell.start);
      }
      g.appendChild(svg('rect', { class: 'cell s-' + st, 'data-status': st, x: i * cw, y: 1, width: cw > 3 ? cw - 1 : cw, height: 12 }, title));
    });
    return g;
  }

  // calendar draws a series' days a year at a time, a column a week
  // (Monday on top), from its first stored day to its last; a short
  // series gets big cells numbered with their day of the month.
  function calendar(s) {
    const box = el('div', { class: 'calendar' });
    if (!s.days) return box;
    const big = s.days.length <= MAX_DAY_CELLS;
    const CS = big ? 20 : 11, STEP = CS + 2, LEFT = 28, TOP = 14;
    const last = s._end - DAY;
    for (let y = new Date(s._first).getUTCFullYear(); y <= new Date(last).getUTCFullYear(); y++) {
      const from = Math.max(s._first, Date.UTC(y, 0, 1)), to = Math.min(last, Date.UTC(y, 11, 31));
      const week0 = from - weekday(from) * DAY;
      const weeks = Math.floor((to - week0) / DAY / 7) + 1;
      const year = svg('svg', { class: 'year', width: LEFT + Math.max(weeks * STEP, 3 * STEP), height: TOP + 7 * STEP,
        role: 'img', 'aria-label': s.symbol + ' ' + y });
      ['Mon', 'Wed', 'Fri'].forEach((d, i) => {
        year.appendChild(svg('text', { x: 0, y: TOP + i * 2 * STEP + CS / 2 + 3 })).textContent = d;
      });
      let labelled = -2;
      for (let t = from; t <= to; t += DAY) {
        const st = s.days[(t - s._first) / DAY];
        const col = Math.floor((t - week0) / DAY / 7);
        const x = LEFT + col * STEP, yy = TOP + weekday(t) * STEP;
        const date = new Date(t).getUTCDate();
        if ((date === 1 || t === from) && col - labelled >= 2) {
          labelled = col;
          year.appendChild(svg('text', { x: x, y: 10 })).textContent = MONTHS[new Date(t).getUTCMonth()];
        }
        const n = note(s, t);
        year.appendChild(svg('rect', { class: 'day s-' + st, 'data-status': st, 'data-day': isoDay(t), x: x, y: yy,
          width: CS, height: CS, rx: 2 }, isoDay(t) + ': ' + NAME[st] + (n ? ': ' + n : '')));
        if (big) {
          year.appendChild(svg('text', { class: 'dom on-' + st, x: x + CS / 2, y: yy + CS / 2 + 3, 'text-anchor': 'middle' })).textContent = date;
        }
      }
      const fig = el('figure');
      fig.appendChild(el('figcaption', {}, String(y)));
      fig.appendChild(year);
      box.appendChild(fig);
    }
    return box;
  }

  function details(s) {
    const td = el('td', { colspan: 15 });
    td.appendChild(calendar(s));
    const days = Object.keys(s.notes || {}).sort();
    if (days.length) {
      const ul = el('ul', { class: 'notes' });
      for (const d of days.slice(0, NOTES_SHOWN)) {
        const li = ul.appendChild(el('li'));
        const st = s.days[(dayOf(d) - s._first) / DAY];
        li.appendChild(el('span', { class: 'swatch s-' + st }));
        li.appendChild(document.createTextNode(d + ' ' + NAME[st] + ': ' + s.notes[d]));
      }
      if (days.length > NOTES_SHOWN) ul.appendChild(el('li', {}, '... and ' + (days.length - NOTES_SHOWN) + ' more days'));
      td.appendChild(ul);
    }
    const tr = el('tr', { class: 'detail' });
    tr.appendChild(td);
    return tr;
  }

  const tbody = document.querySelector('#series tbody');
  const entries = series.map((s, i) => {
    const tr = el('tr', { class: 'series', 'data-series': [s.dataset, s.market, s.interval, s.symbol].filter(Boolean).join('/') });
    const num = (v) => tr.appendChild(el('td', { class: 'num' }, v));
    tr.appendChild(el('td', {}, s.dataset));
    tr.appendChild(el('td', {}, s.market));
    tr.appendChild(el('td', {}, s.interval || '-'));
    tr.appendChild(el('td', {}, s.symbol));
    tr.appendChild(el('td', {}, shortTime(s.first_candle)));
    tr.appendChild(el('td', {}, shortTime(s.last_candle)));
    num(s.last_candle ? age(s.freshness_seconds) : '-');
    num(s.rows.toLocaleString('en-US'));
    num(String(s.files));
    num(human(s.bytes));
    num(String(s.complete_days));
    num(String(s.partial_days));
    num(String(s.missing_days));
    num(String(s.gap_days));
    const cal = tr.appendChild(el('td', { class: 'timeline' }));
    if (s.error) {
      cal.className = 'err';
      cal.textContent = 'unreadable: ' + s.error;
    } else if (s.note) {
      cal.className = 'note';
      cal.textContent = s.note;
    } else {
      cal.appendChild(strip(s));
    }
    const e = { s, i, tr, detail: null };
    tr.addEventListener('click', () => {
      if (e.detail) {
        e.detail.remove();
        e.detail = null;
        tr.classList.remove('open');
        return;
      }
      e.detail = details(s);
      tr.after(e.detail);
      tr.classList.add('open');
    });
    tbody.appendChild(tr);
    return e;
  });

  // Sorting: a header click sorts by its column, a second click reverses.
  let sortKey = null, sortDir = 1;
  const headers = document.querySelectorAll('#series th[data-key]');
  headers.forEach((th) => th.addEventListener('click', () => {
    const key = th.dataset.key, numeric = th.hasAttribute('data-num');
    sortDir = sortKey === key ? -sortDir : 1;
    sortKey = key;
    headers.forEach((h) => h.setAttribute('aria-sort', h === th ? (sortDir > 0 ? 'ascending' : 'descending') : 'none'));
    entries.sort((a, b) => {
      const x = a.s[key], y = b.s[key];
      const c = numeric ? (x || 0) - (y || 0) : String(x || '').localeCompare(String(y || ''));
      return c * sortDir || a.i - b.i;
    });
    for (const e of entries) {
      tbody.appendChild(e.tr);
      if (e.detail) tbody.appendChild(e.detail);
    }
  }));

  // Filtering: every word must be in the series' name; the status select
  // keeps the series that have such days.
  const filter = document.getElementById('filter');
  const status = document.getElementById('status-filter');
  const shown = document.getElementById('shown');
  const empty = document.getElementById('empty');
  const wanted = {
    '': () => true,
    problems: (s) => s.missing_days + s.partial_days > 0,
    m: (s) => s.missing_days > 0,
    p: (s) => s.partial_days > 0,
    g: (s) => s.gap_days > 0,
    c: (s) => !!s.days && s.complete_days === s.days.length,
    error: (s) => !!s.error,
  };
  function apply() {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const keep = wanted[status.value] || wanted[''];
    let n = 0;
    for (const e of entries) {
      const name = [e.s.dataset, e.s.market, e.s.interval, e.s.symbol].join(' ').toLowerCase();
      const ok = words.every((w) => name.includes(w)) && keep(e.s);
      e.tr.hidden = !ok;
      if (e.detail) e.detail.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = 'showing ' + n + ' of ' + entries.length + ' series';
    empty.hidden = n > 0;
  }
  filter.addEventListener('input', apply);
  status.addEventListener('change', apply);
  apply();

  const sum = (k) => series.reduce((a, s) => a + (s[k] || 0), 0);
  document.getElementById('totals').textContent = sum('rows').toLocaleString('en-US') + ' rows in ' + sum('files') + ' files, ' +
    human(sum('bytes')) + '; days: ' + sum('complete_days') + ' complete, ' + sum('partial_days') + ' partial, ' +
    sum('missing_days') + ' missing, ' + sum('gap_days') + ' gap at Binance';
})();
