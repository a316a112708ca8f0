/** The admin's one stylesheet, served at `<mount>/admin.css` (no inline styles, so the CSP stays strict). */
export const ADMIN_CSS = `
:root{--ink:#111827;--muted:#4b5563;--line:#d1d5db;--soft:#f3f4f6;--bg:#fff;--brand:#1d4ed8;--brand-dark:#1e3a8a;--danger:#b91c1c;--ok:#166534;--focus:#f59e0b;color-scheme:light}
*{box-sizing:border-box}
html{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--soft)}
body{margin:0;min-height:100vh;display:flex;flex-direction:column}
a{color:var(--brand)}
a:hover{color:var(--brand-dark)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:.5rem;background:#fff;color:var(--ink);padding:.5rem 1rem;z-index:10;border-radius:.25rem}
.skip:focus{left:.5rem}
.topbar{background:#111827;color:#fff}
.topbar-inner{max-width:72rem;margin:0 auto;padding:.75rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
.brand{font-weight:700;font-size:1.1rem;color:#fff;text-decoration:none;margin-right:auto}
.topbar nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:0;align-items:center}
.topbar a{color:#e5e7eb}
.topbar a[aria-current=page]{color:#fff;font-weight:600}
.whoami{color:#d1d5db;font-size:.95rem}
.linkbutton{background:none;border:0;padding:0;font:inherit;color:#e5e7eb;text-decoration:underline;cursor:pointer}
main{flex:1;width:100%;max-width:72rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.6rem;margin:0 0 1rem;line-height:1.25;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:0 0 .75rem}
.card{background:var(--bg);border:1px solid var(--line);border-radius:.5rem;padding:1.25rem;margin:0 0 1.25rem}
.narrow{max-width:26rem;margin:2rem auto}
.medium{max-width:34rem}
.toolbar{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;justify-content:space-between;margin-bottom:1rem}
.toolbar h1{margin:0}
.search{display:flex;flex-wrap:wrap;gap:.5rem .85rem;align-items:flex-end;margin:0 0 1rem}
.search input,.search select,.search .button{height:2.75rem}
.search > a{align-self:center;margin-top:1.5rem}
.search .field{margin:0}
.search .field.grow{flex:1 1 16rem;max-width:26rem}
.search .field.small{flex:0 0 auto}
.search select{width:auto;min-width:5.5rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
.field{margin:0 0 1rem}
.hint{color:var(--muted);font-size:.9rem;margin:.25rem 0 0}
.card > .hint{margin:0 0 1rem}
input[type=text],input[type=search],input[type=email],input[type=password],select{width:100%;max-width:26rem;padding:.55rem .65rem;font:inherit;color:var(--ink);background:#fff;border:1px solid #6b7280;border-radius:.375rem}
input[aria-invalid=true]{border-color:var(--danger);border-width:2px}
fieldset{border:1px solid var(--line);border-radius:.375rem;margin:0 0 1rem;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}
.check{display:flex;gap:.5rem;align-items:flex-start;margin:.35rem 0}
.check input{flex:none;width:1.15rem;height:1.15rem;margin:.2rem 0 0}
.check label{font-weight:400;margin:0}
.button{display:inline-block;padding:.55rem 1rem;font:inherit;font-weight:600;border-radius:.375rem;border:1px solid var(--brand);background:var(--brand);color:#fff;text-decoration:none;cursor:pointer}
.button:hover{background:var(--brand-dark);color:#fff}
.button.secondary{background:#fff;color:var(--brand)}
.button.danger{background:var(--danger);border-color:var(--danger)}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin-top:1rem}
.actions .hint{margin:0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.bulk-bar{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:0 0 .75rem}
.bulk-bar label{margin:0}
.bulk-bar select{width:auto}
td.select{width:2.5rem}
td.select input{width:1.15rem;height:1.15rem;margin:0;vertical-align:middle}
.empty p{margin:.25rem 0}
.confirm ul{margin:.25rem 0 0;padding-left:1.25rem}
.confirm li{margin:.25rem 0}
.history-section{margin-top:1.25rem}
td.wrap{white-space:normal;min-width:14rem}
.changes{margin:0;padding-left:1rem}
.changes li{overflow-wrap:anywhere}
.alert{border-radius:.375rem;padding:.75rem 1rem;margin:0 0 1rem;border:1px solid}
.alert.error{background:#fef2f2;border-color:#fca5a5;color:#7f1d1d}
.alert.success{background:#f0fdf4;border-color:#86efac;color:var(--ok)}
.alert.info{background:#eff6ff;border-color:#93c5fd;color:#1e3a8a}
.table-wrap{overflow-x:auto;background:var(--bg);border:1px solid var(--line);border-radius:.5rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
caption{text-align:left;padding:.75rem 1rem;color:var(--muted)}
th,td{padding:.55rem .75rem;text-align:left;border-top:1px solid var(--line);white-space:nowrap}
thead th{background:#f9fafb;border-top:0}
th a{color:var(--ink);text-decoration:none}
th a:hover,th a:focus{text-decoration:underline}
th[aria-sort] a::after{content:"";margin-left:.3rem}
th[aria-sort=ascending] a::after{content:"\\25B2"}
th[aria-sort=descending] a::after{content:"\\25BC"}
tbody tr:nth-child(even){background:#f9fafb}
.yes{color:var(--ok);font-weight:600}
.no{color:var(--muted)}
.pagination{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between;margin-top:1rem}
.pagination ul{list-style:none;display:flex;gap:.5rem;margin:0;padding:0}
dl.details{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1.5rem;margin:0}
dl.details dt{font-weight:600;color:var(--muted)}
dl.details dd{margin:0;overflow-wrap:anywhere}
.grid{display:grid;gap:1.25rem;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr))}
.grid .card{margin:0}
form.inline{display:inline;margin-left:.5rem}
.qr svg{display:block;width:14rem;height:14rem;margin:.5rem 0}
footer{color:var(--muted);font-size:.85rem;text-align:center;padding:1rem}
@media (max-width:40rem){
  main{padding:1rem .75rem 2rem}
  .table-wrap{overflow-x:visible;background:none;border:0}
  table.stacking,table.stacking caption,table.stacking thead{display:block}
  table.stacking caption{padding:0 0 .5rem}
  table.stacking thead tr{display:flex;flex-wrap:wrap;gap:.25rem .75rem;padding:0 0 .5rem}
  table.stacking thead th{background:none;padding:0;border:0}
  table.history.stacking thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  table.stacking tbody,table.stacking td{display:block}
  table.stacking tbody tr{display:flex;flex-direction:column;background:var(--bg);border:1px solid var(--line);border-radius:.5rem;margin:0 0 .75rem;padding:.5rem .75rem}
  table.stacking td{border:0;padding:.15rem 0;white-space:normal;overflow-wrap:anywhere;min-width:0}
  table.stacking td[data-label]::before{content:attr(data-label) ": ";color:var(--muted);font-weight:600}
  table.stacking td.username{order:-2;font-size:1.05rem;font-weight:600}
  table.stacking td.username::before{content:none}
  table.stacking td.select{order:-3;width:auto}
  table.stacking td.flag{order:-1;display:inline-block}
  table.users tbody tr{display:grid;grid-template-columns:repeat(3,auto);justify-content:start;column-gap:1rem}
  table.users td.select,table.users td.username,table.users td.detail{grid-column:1 / -1}
  td.wrap{min-width:0}
  dl.details{grid-template-columns:1fr}
  dl.details dd{margin-bottom:.5rem}
  .narrow{margin:1rem auto}
}
@media (prefers-reduced-motion:reduce){*{scroll-behavior:auto}}
`;
