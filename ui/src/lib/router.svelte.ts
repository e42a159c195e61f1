// History-API routing: havend answers every path outside /api with index.html, so a page's
// URL can be bookmarked and reloaded. Internal links are plain <a href> elements; the app
// intercepts their clicks (see App.svelte) and calls navigate().

export class Router {
  path = $state(location.pathname);
  search = $state(location.search);

  constructor() {
    addEventListener('popstate', () => this.sync());
  }

  get query(): URLSearchParams {
    return new URLSearchParams(this.search);
  }

  /** Path segments after a prefix: /backups/g/s -> ['g', 's'] for '/backups'. */
  segments(prefix: string): string[] {
    if (!this.path.startsWith(prefix)) return [];
    return this.path.slice(prefix.length).split('/').filter((s) => s !== '').map(decodeURIComponent);
  }

  navigate(href: string, options: { replace?: boolean } = {}): void {
    if (options.replace) history.replaceState(null, '', href);
    else history.pushState(null, '', href);
    this.sync();
    // a new page starts at its top, as a full navigation would
    if (!options.replace) scrollTo(0, 0);
  }

  /** For a click on an <a>: handles same-origin app links, lets the browser do the rest. */
  intercept(e: MouseEvent): void {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target instanceof Element ? e.target.closest('a') : null;
    if (!a || a.hasAttribute('download') || (a.target && a.target !== '_self')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    // an in-page anchor (the skip link) is the browser's: it moves focus, not the route
    if (url.hash !== '' && url.pathname === location.pathname && url.search === location.search) return;
    e.preventDefault();
    this.navigate(url.pathname + url.search);
  }

  private sync(): void {
    this.path = location.pathname;
    this.search = location.search;
  }
}
