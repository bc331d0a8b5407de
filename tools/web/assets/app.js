// app.js - the live parts of fshare-web's page (the listing works without it).
//
// One EventSource on /events: "state" drives the banner, "groups" names the
// folders to fetch again, "downloads" the downloads panel, "reload" the whole
// page's parts. Fragments are HTML rendered by the server, so the page with
// and without script looks the same. Actions (download, cancel) are the
// page's own forms, posted with fetch instead of a navigation.
'use strict';
(function () {
  const body = document.body;
  const banner = document.getElementById('banner');
  const listing = document.getElementById('listing');
  const filter = document.getElementById('q');
  let agentText = banner.hidden ? '' : banner.textContent;
  let streamLost = false;
  let streamText = '';          // why the stream is lost, when it is not retried by itself

  function showBanner() {
    const text = streamLost ? streamText || 'Lost the connection to fshare-web: reconnecting…'
                            : agentText;
    banner.textContent = text;
    banner.hidden = !text;
  }

  function view(extra) {
    const params = new URLSearchParams(location.search);
    params.delete('token');
    for (const key in extra || {}) params.set(key, extra[key]);
    return params;
  }

  async function getJSON(path, params) {
    const response = await fetch(path + '?' + params.toString(), {
      headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store'
    });
    if (!response.ok) throw new Error(response.status + ' ' + response.statusText);
    return response.json();
  }

  // Runs task() at once, or once more after the one in flight: never two.
  function serial(task) {
    let running = false, again = false;
    return async function run() {
      if (running) { again = true; return; }
      running = true;
      try { await task(); } catch (e) { console.warn(e); }
      running = false;
      if (again) { again = false; run(); }
    };
  }

  // Focus survives a replacement: the same control, found by its place.
  function focusKey() {
    const element = document.activeElement;
    if (!element || element === body) return null;
    const row = element.closest('tr.file, details.group, li.job');
    if (!row) return null;
    return { user: row.dataset.user, path: row.dataset.path, dir: row.dataset.dir,
             job: row.dataset.job, tag: element.tagName, cls: element.className };
  }
  // The same row: its user too, since two users may have the same path
  // (focus on one's Download button moved to the other's, where Enter
  // would download the other file).
  function restoreFocus(key) {
    if (!key) return;
    const user = key.user !== undefined ? '[data-user="' + CSS.escape(key.user) + '"]' : '';
    let selector = key.path !== undefined ? 'tr.file' + user + '[data-path="' + CSS.escape(key.path) + '"]'
      : key.job !== undefined ? 'li.job[data-job="' + CSS.escape(key.job) + '"]'
      : 'details.group' + user + '[data-dir="' + CSS.escape(key.dir || '') + '"]';
    const row = document.querySelector(selector);
    const target = row && (row.querySelector(key.tag.toLowerCase() + (key.cls ? '.' + key.cls.split(' ')[0] : '')) ||
                           row.querySelector('button, summary, a'));
    if (target && document.activeElement !== target) target.focus();
  }

  const refreshAll = serial(async function () {
    const data = await getJSON('/frag/all', view());
    const key = focusKey();
    document.getElementById('peers').innerHTML = data.peers;
    listing.innerHTML = data.listing;
    document.getElementById('downloads').innerHTML = data.downloads;
    restoreFocus(key);
  });

  const refreshDownloads = serial(async function () {
    const data = await getJSON('/frag/downloads', new URLSearchParams());
    const key = focusKey();
    document.getElementById('downloads').innerHTML = data.html;
    restoreFocus(key);
  });

  // Who is online, and each user's count in the listing's headings (of
  // the files the filter matches, and their total, while one is set).
  const refreshPeers = serial(async function () {
    const params = new URLSearchParams();
    const filtered = view().get('q');
    if (filtered) params.set('q', filtered);
    const data = await getJSON('/frag/peers', params);
    document.getElementById('peers').innerHTML = data.html;
    for (const section of listing.querySelectorAll('section.user')) {
      const count = section.querySelector('h3 small.count');
      const text = data.counts[section.dataset.user];
      if (count && text) count.textContent = text;
    }
    const match = listing.querySelector('p.count');
    if (match && data.match) match.textContent = data.match;
  });

  function groupElement(user, dir) {
    return listing.querySelector('details.group[data-user="' + CSS.escape(user) +
                                 '"][data-dir="' + CSS.escape(dir) + '"]');
  }

  // `opening`: the user opened a folder that came closed, without its
  // files: fetch it open. Otherwise it is fetched as it is shown now.
  async function refreshGroup(user, dir, opening) {
    const params = view();
    if (params.has('u') || params.has('p')) return refreshAll();
    const old = groupElement(user, dir);
    const open = opening || (old ? old.open : !listing.querySelector('[data-lazy]'));
    params.set('u', user);
    params.set('d', dir);
    params.set('open', open ? '1' : '0');
    const data = await getJSON('/frag/group', params);
    const key = focusKey();
    const now = groupElement(user, dir);
    if (!data.html) {
      if (now) now.remove();
      return;
    }
    const holder = document.createElement('div');
    holder.innerHTML = data.html;
    const fresh = holder.firstElementChild;
    if (now) {
      now.replaceWith(fresh);
    } else {
      const section = listing.querySelector('section.user[data-user="' + CSS.escape(user) + '"]');
      if (!section) return refreshAll();
      const after = Array.from(section.querySelectorAll('details.group'))
        .find(function (g) { return g.dataset.dir > dir; });
      if (after) section.insertBefore(fresh, after); else section.appendChild(fresh);
    }
    restoreFocus(key);
  }

  const pending = new Map();
  const refreshGroups = serial(async function () {
    const groups = Array.from(pending.values());
    pending.clear();
    for (const group of groups) await refreshGroup(group[0], group[1]);
  });

  // The stream's failures. A network error EventSource retries by itself
  // (the banner says so meanwhile); an answer that is no stream closes it
  // for good: 403 when fshare-web was started again (a new token: this
  // page can do nothing more), 503 when too many pages hold streams. The
  // page asks which, says it, and in the second case tries again.
  let retryMs = 1000;
  async function whyClosed() {
    try {
      const response = await fetch('/frag/peers', { credentials: 'same-origin', cache: 'no-store',
                                                    headers: { Accept: 'application/json' } });
      return response.status;
    } catch (e) {
      return 0;
    }
  }
  async function closed(source) {
    source.close();
    const status = await whyClosed();
    if (status === 403) {
      streamText = 'fshare-web was started again (or stopped): this page is no longer ' +
                   'valid. Open the address that fshare-web printed, with its new token.';
      showBanner();
      return;
    }
    streamText = status === 200
      ? 'Too many pages of fshare-web are open: live updates wait for one to close…'
      : 'Lost the connection to fshare-web: reconnecting…';
    showBanner();
    setTimeout(function () { connect('0'); }, retryMs);
    retryMs = Math.min(retryMs * 2, 8000);
  }

  function connect(since) {
    const source = new EventSource('/events?since=' + encodeURIComponent(since));
    source.addEventListener('open', function () {
      retryMs = 1000;
      if (streamLost) { streamLost = false; streamText = ''; showBanner(); refreshAll(); }
    });
    source.addEventListener('error', function () {
      streamLost = true;
      streamText = '';
      showBanner();
      if (source.readyState === EventSource.CLOSED) closed(source);
    });
    source.addEventListener('state', function (e) {
      const state = JSON.parse(e.data);
      agentText = state.text || '';
      body.dataset.agent = state.agent;
      showBanner();
    });
    source.addEventListener('groups', function (e) {
      for (const group of JSON.parse(e.data)) pending.set(group[0] + '\u0000' + group[1], group);
      refreshGroups();
      refreshPeers();
    });
    source.addEventListener('downloads', function () { refreshDownloads(); });
    source.addEventListener('reload', function () { refreshAll(); });
  }

  // Folders closed on a big listing open on demand.
  document.addEventListener('toggle', function (e) {
    const group = e.target;
    if (group.matches && group.matches('details.group[data-lazy]') && group.open) {
      refreshGroup(group.dataset.user, group.dataset.dir, true).catch(console.warn);
    }
  }, true);

  // The page's forms, posted without leaving the page.
  const notice = document.createElement('p');
  notice.id = 'notice';
  notice.setAttribute('role', 'alert');
  notice.hidden = true;
  banner.after(notice);
  document.addEventListener('submit', async function (e) {
    const form = e.target;
    if (!form.classList.contains('act')) return;
    e.preventDefault();
    notice.hidden = true;
    try {
      const response = await fetch(form.action, {
        method: 'POST', credentials: 'same-origin',
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(new FormData(form)).toString()
      });
      const data = await response.json();
      if (!response.ok) throw new Error(data.error || response.statusText);
      refreshDownloads();
    } catch (error) {
      notice.textContent = 'Could not do that: ' + error.message;
      notice.hidden = false;
    }
  });

  // The filter applies as one types.
  let timer = 0;
  function applyFilter() {
    const params = view();
    params.delete('p'); params.delete('u'); params.delete('d');
    if (filter.value) params.set('q', filter.value); else params.delete('q');
    const search = params.toString();
    history.replaceState(null, '', search ? '?' + search : location.pathname);
    refreshAll();
  }
  filter.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(applyFilter, 120);
  });
  document.getElementById('filter').addEventListener('submit', function (e) {
    e.preventDefault();
    clearTimeout(timer);
    applyFilter();
  });

  body.classList.add('live');
  connect(body.dataset.hub || '0');
})();
