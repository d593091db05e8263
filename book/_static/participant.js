/* "Be the participant": odd-one-out trials in the browser (socalign).
 *
 * Reads the trials from the JSON inside each .socalign-participant element (written by
 * socalign.book.stimuli.participant_widget), shows them one at a time, and at the end shows
 * how often the reader agreed with the simulated people and with each model. The score is
 * socalign.book.stimuli.participant_agreement's, computed here the same way (a test holds the
 * two equal). Nothing is sent anywhere and nothing is stored: no network request, no cookie.
 */
(function () {
  "use strict";

  var CSS = [
    ".socalign-participant{border:1px solid #ccc;border-radius:8px;padding:10px 12px;",
    "margin:1em 0;max-width:40em}",
    ".socalign-participant .sp-clips{display:flex;gap:12px;flex-wrap:wrap;margin:8px 0}",
    ".socalign-participant button.sp-clip{padding:4px;border:2px solid #bbb;border-radius:6px;",
    "background:#fff;cursor:pointer}",
    ".socalign-participant button.sp-clip:hover,.socalign-participant button.sp-clip:focus{",
    "border-color:#1f6fb4}",
    ".socalign-participant button.sp-clip img{display:block;image-rendering:pixelated}",
    ".socalign-participant .sp-progress{color:#555;font-size:0.9em}",
    ".socalign-participant table{border-collapse:collapse;margin:6px 0}",
    ".socalign-participant td,.socalign-participant th{border-bottom:1px solid #ddd;",
    "padding:3px 8px;text-align:left}",
    ".socalign-participant .sp-note{color:#555;font-size:0.85em}"
  ].join("");

  /* The score: the same arithmetic, in the same order, as participant_agreement. */
  function agreement(trials, choices) {
    if (trials.length !== choices.length || trials.length === 0) {
      throw new Error("need one choice per trial");
    }
    var labels = Object.keys(trials[0].models);
    var people = 0.0, majority = 0.0, agree = {}, i, k;
    for (k = 0; k < labels.length; k++) { agree[labels[k]] = 0; }
    for (i = 0; i < trials.length; i++) {
      var counts = trials[i].counts, choice = choices[i], total = 0, most = 0;
      for (k = 0; k < counts.length; k++) { total += counts[k]; most = Math.max(most, counts[k]); }
      if (choice !== null) {
        people += counts[choice] / total;
        majority += counts[choice] === most ? 1 : 0;
      }
      for (k = 0; k < labels.length; k++) {
        agree[labels[k]] += (choice !== null && trials[i].models[labels[k]] === choice) ? 1 : 0;
      }
    }
    var n = trials.length, out = {people: people / n, majority: majority / n};
    for (k = 0; k < labels.length; k++) { out[labels[k]] = agree[labels[k]] / n; }
    return out;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function percent(x) { return (100 * x).toFixed(1) + "%"; }

  function cell(key, value) {
    return el("td", {"data-agreement": key, "data-value": String(value)}, percent(value));
  }

  function start(root) {
    var data = JSON.parse(root.querySelector("script.socalign-participant-data").textContent);
    var trials = data.trials, choices = [];
    var stage = el("div", {"class": "sp-stage"});
    root.appendChild(el("style", {}, CSS));
    root.appendChild(el("p", {"class": "sp-note"},
      "Everything happens in this page: your choices are not sent anywhere and not stored."));
    root.appendChild(stage);

    function showTrial() {
      var i = choices.length, trial = trials[i];
      stage.textContent = "";
      stage.appendChild(el("div", {"class": "sp-progress", "data-trial": String(i + 1)},
        "Trial " + (i + 1) + " of " + trials.length +
        ": click the video that is the odd one out."));
      var row = el("div", {"class": "sp-clips"});
      trial.videos.forEach(function (video, k) {
        var button = el("button", {"type": "button", "class": "sp-clip",
                                   "data-position": String(k),
                                   "aria-label": "video " + (k + 1) + " is the odd one out"});
        button.appendChild(el("img", {"src": data.clips[String(video)], "width": "128",
                                      "height": "128", "alt": "video " + (k + 1)}));
        button.addEventListener("click", function () {
          choices.push(k);
          if (choices.length < trials.length) { showTrial(); } else { showResult(); }
        });
        row.appendChild(button);
      });
      stage.appendChild(row);
    }

    function showResult() {
      var mine = agreement(trials, choices), n = trials.length;
      stage.textContent = "";
      stage.setAttribute("data-done", "true");
      stage.appendChild(el("p", {}, "Done: " + n + " trials. How often you agreed:"));
      var people = el("table", {"class": "sp-people"});
      var head = el("tr");
      ["", "share of people who made the same choice",
       "trials with the people's most common choice"]
        .forEach(function (t) { head.appendChild(el("th", {}, t)); });
      people.appendChild(head);
      var you = el("tr", {"data-who": "you"});
      you.appendChild(el("td", {}, "you"));
      you.appendChild(cell("people", mine.people));
      you.appendChild(cell("majority", mine.majority));
      people.appendChild(you);
      data.models.forEach(function (label) {
        var ref = data.reference[label], row = el("tr", {"data-who": label});
        row.appendChild(el("td", {}, label));
        row.appendChild(el("td", {"data-value": String(ref.people)}, percent(ref.people)));
        row.appendChild(el("td", {"data-value": String(ref.majority)}, percent(ref.majority)));
        people.appendChild(row);
      });
      stage.appendChild(people);
      var models = el("table", {"class": "sp-models"});
      var mhead = el("tr");
      ["model", "trials where you chose as the model did"].forEach(function (t) {
        mhead.appendChild(el("th", {}, t));
      });
      models.appendChild(mhead);
      data.models.forEach(function (label) {
        var row = el("tr");
        row.appendChild(el("td", {}, label));
        row.appendChild(cell(label, mine[label]));
        models.appendChild(row);
      });
      stage.appendChild(models);
      stage.appendChild(el("p", {"class": "sp-note"},
        "Choosing at random agrees about a third of the time in every column. The people are SocialWorld's simulated " +
        "participants; the models' rows above are their own agreement with people on the " +
        "same trials."));
      var again = el("button", {"type": "button", "class": "sp-again"}, "Start again");
      again.addEventListener("click", function () { choices = []; stage.removeAttribute("data-done"); showTrial(); });
      stage.appendChild(again);
    }

    showTrial();
  }

  function init() {
    var roots = document.querySelectorAll(".socalign-participant:not([data-ready])");
    Array.prototype.forEach.call(roots, function (root) {
      root.setAttribute("data-ready", "true");
      start(root);
    });
  }

  window.socalignParticipant = {agreement: agreement, init: init};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
