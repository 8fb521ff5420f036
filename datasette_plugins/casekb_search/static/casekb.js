/* casekb in the browser: the 待选案例 basket and the search filters. Served from /-/static-plugins/casekb/,
   loaded by every page of templates_zh/base.html. Without scripts every page still works: ticks submit
   the page's own selection and the 搜索 button applies the filters.

   The basket is a list of {id, title} in localStorage, kept across searches and case pages: ticking a
   search result or pressing 加入待选 on a case page puts the case in it; the bar at the foot of the page
   (#casekb-basket, its addresses in data- attributes) compares, cites or packs what it holds. */
(function () {
  "use strict";
  var KEY = "casekb-basket";
  var bar = document.getElementById("casekb-basket");

  function load() {
    try {
      var items = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(items) ? items.filter(function (c) { return c && typeof c.id === "string"; }) : [];
    } catch (e) { return []; }
  }
  function save(items) {
    try { window.localStorage.setItem(KEY, JSON.stringify(items)); } catch (e) { /* private mode: page only */ }
    render();
  }
  function has(id) { return load().some(function (c) { return c.id === id; }); }
  function add(id, title) { if (!has(id)) { save(load().concat([{id: id, title: title || id}])); } }
  function remove(id) { save(load().filter(function (c) { return c.id !== id; })); }
  function ids(items) { return items.map(function (c) { return c.id; }).join(","); }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href; a.textContent = text;
    return a;
  }

  function render() {
    var items = load();
    document.querySelectorAll('input[type=checkbox][name=cases]').forEach(function (box) {
      box.checked = items.some(function (c) { return c.id === box.value; });
    });
    document.querySelectorAll("button[data-basket-id]").forEach(function (button) {
      var inside = has(button.getAttribute("data-basket-id"));
      button.textContent = inside ? "已在待选案例中（移出）" : "加入待选案例";
      button.setAttribute("aria-pressed", inside ? "true" : "false");
    });
    var picker = document.getElementById("casekb-picker");
    if (picker) { renderPicker(picker, items); }
    if (!bar) { return; }
    bar.hidden = items.length === 0;
    bar.textContent = "";
    if (!items.length) { return; }
    var max = parseInt(bar.getAttribute("data-max-compared"), 10) || 8;
    var list = ids(items), first = ids(items.slice(0, max));
    var summary = document.createElement("details");
    var head = document.createElement("summary");
    head.textContent = "待选案例 " + items.length + " 个";
    summary.appendChild(head);
    var ol = document.createElement("ol");
    items.forEach(function (c) {
      var li = document.createElement("li");
      li.appendChild(link(bar.getAttribute("data-case") + encodeURIComponent(c.id), c.title));
      var out = document.createElement("button");
      out.type = "button"; out.textContent = "移出"; out.setAttribute("aria-label", "移出 " + c.title);
      out.addEventListener("click", function () { remove(c.id); });
      li.appendChild(out);
      ol.appendChild(li);
    });
    summary.appendChild(ol);
    bar.appendChild(summary);
    var actions = document.createElement("p");
    actions.className = "actions";
    actions.appendChild(link(bar.getAttribute("data-compare") + "?cases=" + encodeURIComponent(first),
                             items.length > max ? "并排比较前 " + max + " 个" : "并排比较"));
    actions.appendChild(link(bar.getAttribute("data-cite") + "?format=gbt&ids=" + encodeURIComponent(list), "引用"));
    actions.appendChild(link(bar.getAttribute("data-pack") + "?format=html&ids=" + encodeURIComponent(list), "课程包"));
    var clear = document.createElement("button");
    clear.type = "button"; clear.textContent = "清空";
    clear.addEventListener("click", function () { save([]); });
    actions.appendChild(clear);
    bar.appendChild(actions);
  }

  /* The empty comparison page: the basket's cases as ticks, preselected (at most the comparable number). */
  function renderPicker(picker, items) {
    var list = picker.querySelector("ul"), note = picker.querySelector(".empty");
    if (!list) { return; }
    list.textContent = "";
    if (note) { note.hidden = items.length > 0; }
    items.forEach(function (c, i) {
      var li = document.createElement("li"), label = document.createElement("label"), box = document.createElement("input");
      box.type = "checkbox"; box.name = "cases"; box.value = c.id; box.checked = i < 8;
      label.appendChild(box); label.appendChild(document.createTextNode(" " + c.title));
      li.appendChild(label); list.appendChild(li);
    });
  }

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches('input[type=checkbox][name=cases]') && !el.closest("#casekb-picker")) {
      if (el.checked) { add(el.value, el.getAttribute("data-title")); } else { remove(el.value); }
    } else if (el.matches && el.matches(".casekb-filters select") && el.form) {
      el.form.submit();  /* a filter applies as soon as it is chosen */
    }
  });
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("button[data-basket-id]") : null;
    if (!button) { return; }
    var id = button.getAttribute("data-basket-id");
    if (has(id)) { remove(id); } else { add(id, button.getAttribute("data-basket-title")); }
  });
  /* 并排比较所选案例 compares the basket (ticks from earlier searches too), not only this page's ticks. */
  document.querySelectorAll("form.casekb-select").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var items = load();
      if (!items.length || !bar) { return; }
      ev.preventDefault();
      var max = parseInt(bar.getAttribute("data-max-compared"), 10) || 8;
      window.location.href = bar.getAttribute("data-compare") + "?cases=" + encodeURIComponent(ids(items.slice(0, max)));
    });
  });
  /* The filters are folded behind 筛选 on a phone and open on a wide screen. */
  var filters = document.querySelector("details.casekb-filter-box");
  if (filters && window.matchMedia && window.matchMedia("(min-width: 600px)").matches) { filters.open = true; }
  window.addEventListener("storage", function (ev) { if (ev.key === KEY) { render(); } });
  document.querySelectorAll("button[data-basket-id]").forEach(function (b) { b.hidden = false; });
  render();
})();
