// The reviewer page: vote with buttons or keys 1-4, skip with "s", next comparison without a reload.
// Every HTML string inserted here was rendered and sanitised by the server (render_markdown + nh3);
// this script never builds HTML out of model text, and reviewer-visible labels go in via textContent.
(function () {
  "use strict";
  var root = document.getElementById("judge");
  if (!root) return;
  var busy = false;

  function $(id) { return document.getElementById(id); }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function withCampaign(url) {
    var slug = root.dataset.campaign;
    return slug ? url + (url.indexOf("?") >= 0 ? "&" : "?") + "campaign=" + encodeURIComponent(slug) : url;
  }

  function say(text) {
    var box = $("message");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function setProgress(progress) {
    if (!progress) return;
    $("progress-done").textContent = String(progress.done);
    $("progress-total").textContent = String(progress.total_available);
  }

  function renderCriteria(criteria) {
    var rows = $("criteria-rows");
    rows.replaceChildren();
    (criteria || []).forEach(function (name, index) {
      var row = document.createElement("div");
      row.className = "criterion";
      row.dataset.criterion = name;
      var label = document.createElement("span");
      label.textContent = name;
      row.appendChild(label);
      [["left", "A"], ["right", "B"], ["tie", "Tie"]].forEach(function (pair) {
        var l = document.createElement("label");
        var input = document.createElement("input");
        input.type = "radio";
        input.name = "crit-" + index;
        input.value = pair[0];
        l.appendChild(input);
        l.appendChild(document.createTextNode(" " + pair[1]));
        row.appendChild(l);
      });
      rows.appendChild(row);
    });
    $("criteria").hidden = !(criteria && criteria.length);
  }

  function show(item) {
    if (!item || !item.token) {
      root.dataset.token = "";
      $("item").hidden = true;
      $("empty").hidden = false;
      return;
    }
    root.dataset.token = item.token;
    $("instructions").innerHTML = item.instructions_html;  // server-sanitised
    var turns = $("turns");
    turns.replaceChildren();
    item.turns.forEach(function (turn) {
      var div = document.createElement("div");
      div.className = "turn";
      var role = document.createElement("span");
      role.className = "role";
      role.textContent = turn.role;
      var body = document.createElement("div");
      body.innerHTML = turn.html;  // server-sanitised
      div.appendChild(role);
      div.appendChild(body);
      turns.appendChild(div);
    });
    $("left").innerHTML = item.left.html;  // server-sanitised
    $("right").innerHTML = item.right.html;  // server-sanitised
    renderCriteria(item.criteria);
    $("rationale").value = "";
    $("item").hidden = false;
    $("empty").hidden = true;
    focusItem();
  }

  // Focus goes to the comparison itself, never to a vote button: a focused button would turn the
  // next Space or Enter into a vote the reviewer never chose (keys 1-4 are the only vote keys).
  function focusItem() {
    var item = $("item");
    if (!item.hidden) item.focus({preventScroll: true});
  }

  function criteriaValues() {
    var out = {};
    document.querySelectorAll("#criteria-rows .criterion").forEach(function (row) {
      var checked = row.querySelector("input:checked");
      if (checked) out[row.dataset.criterion] = checked.value;
    });
    return out;
  }

  function post(template, body) {
    var url = withCampaign(template.replace("TOKEN", encodeURIComponent(root.dataset.token)));
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(), "Accept": "application/json"},
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return {status: response.status, data: data};
      });
    });
  }

  function loadNext() {
    return fetch(withCampaign(root.dataset.nextUrl), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (data) { setProgress(data.progress); show(data); });
  }

  function showReveal(reveal) {
    var box = $("reveal");
    if (!reveal) { box.hidden = true; box.textContent = ""; return; }
    box.textContent = "Previous comparison: A was " + reveal.left + ", B was " + reveal.right + ".";
    box.hidden = false;
  }

  function finish(result) {
    busy = false;
    root.classList.remove("busy");
    if (result.status === 200) {
      say("");
      showReveal(result.data.reveal);
      if (result.data.next) { setProgress(result.data.next.progress); show(result.data.next); }
      else { return loadNext(); }
      return;
    }
    say(result.data.detail || "Something went wrong; try again.");
    if (result.status === 409 || result.status === 403 || result.status === 404) {
      return loadNext();
    }
  }

  function vote(choice) {
    if (busy || !root.dataset.token) return;
    busy = true;
    root.classList.add("busy");
    post(root.dataset.voteUrl, {choice: choice, criteria: criteriaValues(), rationale: $("rationale").value})
      .then(finish, function () { busy = false; root.classList.remove("busy"); say("Network error: your vote was not sent. Try again."); });
  }

  function skip() {
    if (busy || !root.dataset.token) return;
    busy = true;
    post(root.dataset.skipUrl, {reason: $("skip-reason").value})
      .then(finish, function () { busy = false; say("Network error: try again."); });
  }

  document.querySelectorAll(".vote-btn").forEach(function (button) {
    button.addEventListener("click", function () { vote(button.dataset.choice); });
  });
  focusItem();
  $("skip-btn").addEventListener("click", skip);

  var KEYS = {"1": "left", "2": "right", "3": "tie", "4": "both_bad"};
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type === "text") || target.tagName === "SELECT");
    if (typing) {
      if (event.key === "Escape") { target.blur(); focusItem(); }
      return;
    }
    if (target && target.classList && target.classList.contains("vote-btn") && (event.key === "Enter" || event.key === " ")) {
      // A button focused by a click on the previous comparison must not vote again on this one.
      event.preventDefault();
      return;
    }
    if (KEYS[event.key]) { event.preventDefault(); vote(KEYS[event.key]); }
    else if (event.key === "s" || event.key === "S") { event.preventDefault(); skip(); }
  });
})();
