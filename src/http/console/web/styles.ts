/**
 * The console's stylesheet, served as /assets/console.css. Kept in a module so that the compiled
 * package (dist/) carries it like every other part of esalert: src/ holds TypeScript only.
 */
export const CONSOLE_CSS = `:root {
  --bg: #f6f7f9;
  --panel: #ffffff;
  --text: #1d2430;
  --muted: #667085;
  --line: #e3e6eb;
  --accent: #2f5fd0;
  --ok: #1f8a4c;
  --ok-bg: #e5f5ec;
  --err: #c4321c;
  --err-bg: #fdecea;
  --warn: #a86100;
  --warn-bg: #fff4e0;
  --sil: #6b45b8;
  --sil-bg: #f0eafb;
  --mono: ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'Liberation Mono', monospace;
  --rules-cols: minmax(160px, 2fr) minmax(70px, 0.8fr) minmax(100px, 1.1fr) minmax(80px, 0.8fr)
    minmax(50px, 0.45fr) minmax(190px, 1.7fr) minmax(90px, 0.9fr) minmax(60px, 0.6fr) minmax(140px, 1.25fr)
    minmax(110px, 1.1fr);
  color-scheme: light;
}
* {
  box-sizing: border-box;
}
html,
body {
  margin: 0;
  height: 100%;
}
body {
  font:
    14px/1.45 system-ui,
    -apple-system,
    'Segoe UI',
    Roboto,
    'Noto Sans',
    'PingFang SC',
    'Hiragino Sans GB',
    'Microsoft YaHei',
    'Noto Sans CJK SC',
    sans-serif;
  background: var(--bg);
  color: var(--text);
}
#app {
  display: flex;
  flex-direction: column;
  min-height: 100%;
}
a {
  color: var(--accent);
  text-decoration: none;
}
a:hover {
  text-decoration: underline;
}
code,
.mono,
pre {
  font-family: var(--mono);
  font-size: 12.5px;
}
pre {
  white-space: pre-wrap;
  word-break: break-word;
  margin: 0;
}
h1 {
  font-size: 22px;
  margin: 4px 0 14px;
}
h2 {
  font-size: 16px;
  margin: 0 0 10px;
}
h3 {
  font-size: 14px;
  margin: 14px 0 8px;
}
.muted {
  color: var(--muted);
}
.small {
  font-size: 12px;
}
.center {
  text-align: center;
}
.num {
  text-align: right;
  font-variant-numeric: tabular-nums;
}
.empty {
  color: var(--muted);
  font-style: italic;
}
.error,
.err-text {
  color: var(--err);
}
.err-text {
  font-size: 12px;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}
.err-text.block {
  white-space: pre-wrap;
}
.notice {
  background: var(--warn-bg);
  border: 1px solid #f3d8a6;
  padding: 8px 10px;
  border-radius: 6px;
}

header.top {
  display: flex;
  align-items: center;
  gap: 18px;
  padding: 0 18px;
  height: 48px;
  background: #17202e;
  color: #e8ecf2;
  position: sticky;
  top: 0;
  z-index: 5;
}
header.top .brand {
  color: #fff;
  font-weight: 700;
  font-size: 16px;
  letter-spacing: 0.3px;
}
header.top nav {
  display: flex;
  gap: 4px;
}
header.top nav a {
  color: #c4ccd8;
  padding: 6px 10px;
  border-radius: 6px;
}
header.top nav a.active,
header.top nav a:hover {
  background: #2b3546;
  color: #fff;
  text-decoration: none;
}
header.top .tools {
  margin-left: auto;
  display: flex;
  gap: 10px;
  align-items: center;
}
header.top select,
header.top button {
  background: #243044;
  color: #e8ecf2;
  border: 1px solid #3a475c;
  border-radius: 6px;
  padding: 4px 6px;
}
header.top select#tz {
  max-width: 180px;
}
header.top .tool {
  color: #9aa6b8;
}
header.top button.link {
  background: none;
  border: none;
  color: #9fb8ff;
  cursor: pointer;
}

main {
  padding: 16px 20px 40px;
  flex: 1;
}
.panel {
  background: var(--panel);
  border: 1px solid var(--line);
  border-radius: 8px;
  padding: 14px 16px;
  margin: 0 0 16px;
}
.error-panel {
  border-color: #f1b8ae;
  background: var(--err-bg);
}
.crumbs {
  margin: 0;
  font-size: 12px;
}

.toolbar {
  display: flex;
  flex-wrap: wrap;
  gap: 10px;
  align-items: end;
  margin: 0 0 12px;
}
.toolbar .count {
  margin-left: auto;
}
input,
select,
textarea,
button {
  font: inherit;
  border: 1px solid #cfd5dd;
  border-radius: 6px;
  padding: 5px 8px;
  background: #fff;
  color: var(--text);
}
input[type='search'] {
  min-width: 340px;
}
button {
  cursor: pointer;
}
button.primary {
  background: var(--accent);
  border-color: var(--accent);
  color: #fff;
}
button:disabled {
  opacity: 0.55;
  cursor: not-allowed;
}
button.preset {
  background: #eef1f6;
}
label {
  display: inline-flex;
  flex-direction: column;
  gap: 3px;
  font-size: 12px;
  color: var(--muted);
}
label.inline {
  flex-direction: row;
  align-items: center;
}
label.grow {
  flex: 1;
  min-width: 220px;
}
label.grow input {
  width: 100%;
}
.form-row {
  display: flex;
  flex-wrap: wrap;
  gap: 10px;
  align-items: end;
}
.form-row.end {
  justify-content: flex-end;
}
.form-status {
  min-height: 1.2em;
  margin: 8px 0 0;
}
.form-status.error {
  color: var(--err);
}

.badge {
  display: inline-block;
  font-size: 11.5px;
  line-height: 18px;
  padding: 0 7px;
  border-radius: 9px;
  background: #eef1f6;
  color: #384252;
  margin-left: 6px;
  white-space: nowrap;
}
.badge.ok,
.badge.delivered,
.badge.write {
  background: var(--ok-bg);
  color: var(--ok);
}
.badge.error,
.badge.failed {
  background: var(--err-bg);
  color: var(--err);
}
.badge.warn,
.badge.pending {
  background: var(--warn-bg);
  color: var(--warn);
}
.badge.silenced,
.badge.manual {
  background: var(--sil-bg);
  color: var(--sil);
}
.badge.realert {
  background: #eef1f6;
  color: #4d5a6e;
}
.badge.read {
  background: #2b3546;
  color: #c4ccd8;
}
.dot {
  display: inline-block;
  width: 9px;
  height: 9px;
  border-radius: 50%;
  margin-right: 6px;
  flex: none;
}
.dot.ok {
  background: var(--ok);
}
.dot.error {
  background: var(--err);
}
.dot.never {
  background: #b3bbc7;
}

/* rules list */
.table {
  background: var(--panel);
  border: 1px solid var(--line);
  border-radius: 8px;
  overflow: hidden;
}
.rules-grid {
  display: grid;
  grid-template-columns: var(--rules-cols);
  align-items: center;
}
.vhead {
  background: #f0f2f6;
  border-bottom: 1px solid var(--line);
  font-weight: 600;
  font-size: 12px;
  color: #4d5a6e;
  padding-right: 12px;
}
.vhead .cell {
  padding: 8px 10px;
}
.vlist {
  height: calc(100vh - 230px);
  min-height: 300px;
  overflow-y: auto;
  position: relative;
  scrollbar-gutter: stable;
}
.vlist-spacer {
  position: relative;
  width: 100%;
}
.vrow {
  position: absolute;
  left: 0;
  right: 0;
  border-bottom: 1px solid #eef0f3;
}
.vrow:hover {
  background: #f8f9fc;
}
.vrow.error {
  background: #fff8f7;
}
.cell {
  padding: 0 10px;
  overflow: hidden;
  white-space: nowrap;
  text-overflow: ellipsis;
  min-width: 0;
}
.cell.name a {
  font-weight: 600;
}
.cell.lastrun {
  display: flex;
  align-items: center;
  gap: 6px;
}
.load-errors {
  border-color: #f1b8ae;
}
.load-errors ul {
  margin: 0;
  padding: 0;
  list-style: none;
}
.load-errors li {
  padding: 6px 0;
  border-top: 1px solid #f6d5cf;
}
.load-errors li:first-child {
  border-top: none;
}
.load-errors code.file {
  font-weight: 600;
}

/* tables */
table.grid {
  border-collapse: collapse;
  width: 100%;
}
table.grid th,
table.grid td {
  text-align: left;
  padding: 6px 8px;
  border-bottom: 1px solid #eef0f3;
  vertical-align: top;
}
table.grid th {
  font-size: 12px;
  color: #4d5a6e;
  background: #f6f7fa;
}
table.grid tr.error td,
table.grid tr.failed td {
  background: #fff8f7;
}
table.grid tr.ended td {
  color: var(--muted);
}
table.events tr.warning td {
  background: var(--warn-bg);
}
table.events tr.warning td:first-child {
  box-shadow: inset 3px 0 0 var(--warn);
}
table.events td.message {
  white-space: pre-wrap;
  word-break: break-word;
}
td.reason {
  max-width: 320px;
  white-space: pre-wrap;
  word-break: break-word;
}

dl.facts {
  display: grid;
  grid-template-columns: max-content 1fr max-content 1fr;
  gap: 4px 16px;
  background: var(--panel);
  border: 1px solid var(--line);
  border-radius: 8px;
  padding: 12px 16px;
  margin: 0 0 16px;
}
dl.facts dt {
  color: var(--muted);
}
dl.facts dd {
  margin: 0;
  min-width: 0;
  overflow-wrap: anywhere;
}
pre.yaml {
  background: #0f1722;
  color: #dbe4f0;
  padding: 12px 14px;
  border-radius: 6px;
  max-height: 520px;
  overflow: auto;
}

.run-strip {
  display: flex;
  align-items: flex-end;
  gap: 3px;
  height: 64px;
  padding: 2px 0 8px;
  border-bottom: 1px solid var(--line);
  margin-bottom: 8px;
}
.run-bar {
  flex: 1;
  max-width: 22px;
  min-width: 4px;
  border-radius: 2px 2px 0 0;
  background: #9cc9ad;
}
.run-bar.matched {
  background: #e3a64a;
}
.run-bar.error {
  background: var(--err);
}

/* alerts */
.alert-card {
  background: var(--panel);
  border: 1px solid var(--line);
  border-left: 4px solid #b3bbc7;
  border-radius: 6px;
  padding: 10px 12px;
  margin: 0 0 10px;
}
.alert-card.state-delivered {
  border-left-color: var(--ok);
}
.alert-card.state-failed {
  border-left-color: var(--err);
}
.alert-card.state-pending {
  border-left-color: var(--warn);
}
.alert-card header {
  display: flex;
  flex-wrap: wrap;
  gap: 10px;
  align-items: baseline;
}
.alert-card .rule {
  font-weight: 600;
}
.alert-card .qk {
  background: #f0f2f6;
  padding: 0 6px;
  border-radius: 4px;
}
.alert-title {
  font-weight: 600;
  margin: 6px 0 4px;
}
pre.alert-text {
  background: #f8f9fb;
  border: 1px solid #eef0f3;
  border-radius: 4px;
  padding: 8px 10px;
  max-height: 220px;
  overflow: auto;
}
.deliveries {
  display: flex;
  flex-wrap: wrap;
  gap: 8px;
  align-items: center;
  margin-top: 6px;
}
.delivery {
  font-family: var(--mono);
  font-size: 12px;
  padding: 0 6px;
  border-radius: 4px;
}
.delivery.ok {
  background: var(--ok-bg);
  color: var(--ok);
}
.delivery.failed {
  background: var(--err-bg);
  color: var(--err);
}
.delivery.pending {
  background: var(--warn-bg);
  color: var(--warn);
}
details {
  margin-top: 6px;
}
details summary {
  cursor: pointer;
  color: var(--accent);
  font-size: 12.5px;
}
details pre {
  background: #f8f9fb;
  padding: 8px;
  border-radius: 4px;
  max-height: 360px;
  overflow: auto;
}
.pager {
  display: flex;
  gap: 16px;
  align-items: center;
  margin: 8px 0;
}

/* explain */
.explain .summary {
  font-weight: 600;
}
.would-send {
  margin: 0 0 10px;
}
tr.fate-silenced td,
.badge.fate-silenced {
  background: var(--sil-bg);
}
tr.fate-aggregated td {
  background: #eef4ff;
}
tr.fate-dropped td {
  color: var(--muted);
}
.badge.fate-alerted {
  background: var(--ok-bg);
  color: var(--ok);
}

/* kubernetes */
.histogram {
  display: flex;
  align-items: flex-end;
  gap: 2px;
  height: 90px;
  background: var(--panel);
  border: 1px solid var(--line);
  border-radius: 8px;
  padding: 8px;
  margin: 0 0 16px;
}
.hcol {
  flex: 1;
  height: 100%;
  display: flex;
  flex-direction: column-reverse;
}
.hnormal {
  background: #9fb7e8;
}
.hwarn {
  background: #e79b3c;
}

dialog.signin-dialog {
  border: 1px solid var(--line);
  border-radius: 10px;
  padding: 18px 20px;
  width: 360px;
}
dialog.signin-dialog::backdrop {
  background: rgba(20, 28, 40, 0.45);
}
form.signin {
  display: flex;
  flex-direction: column;
  gap: 8px;
}
form.signin label input {
  width: 100%;
}
`;
