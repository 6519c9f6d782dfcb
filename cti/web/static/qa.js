// QA player: the transcript's words light up as they are spoken; clicking a word seeks there.
"use strict";
document.querySelectorAll(".transcript.words").forEach(function (box) {
  var audio = document.getElementById(box.dataset.audio);
  if (!audio) return;
  var words = Array.prototype.slice.call(box.querySelectorAll(".w"));
  var spans = words.map(function (el) {
    return { el: el, start: parseFloat(el.dataset.start), end: parseFloat(el.dataset.end) };
  });
  var current = null;
  function highlight() {
    var t = audio.currentTime, found = null;
    for (var i = 0; i < spans.length; i++) {
      if (t >= spans[i].start && t < spans[i].end) { found = spans[i].el; break; }
    }
    if (found === current) return;
    if (current) current.classList.remove("now");
    if (found) found.classList.add("now");
    current = found;
  }
  audio.addEventListener("timeupdate", highlight);
  audio.addEventListener("seeked", highlight);
  // timeupdate fires only ~4 times a second: follow playback more closely while it runs.
  audio.addEventListener("play", function tick() {
    highlight();
    if (!audio.paused && !audio.ended) window.requestAnimationFrame(tick);
  });
  spans.forEach(function (s) {
    s.el.addEventListener("click", function () {
      audio.currentTime = s.start + 0.001;
      highlight();
      audio.play().catch(function () {});
    });
  });
});
