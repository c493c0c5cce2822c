const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Everything shown on the fakes' pages came from a client, so every value goes through this. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

export interface HtmlTable {
  title: string;
  columns: string[];
  rows: unknown[][];
}

export function renderPage(title: string, tables: HtmlTable[]): string {
  const sections = tables.map((table) => {
    const head = table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
    const body = table.rows.length
      ? table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n')
      : `<tr><td colspan="${table.columns.length}">nothing yet</td></tr>`;
    return `<h2>${escapeHtml(table.title)} (${table.rows.length})</h2>\n<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
  });
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}td{white-space:pre-wrap}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${sections.join('\n')}
</body></html>`;
}
