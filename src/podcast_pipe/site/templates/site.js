/* podcast-pipe site: progressive enhancement only. Without it, chapter and transcript links
   open the MP3 at their time (#t=), and the feed address is plain text to copy. */
(function () {
  "use strict";
  var each = function (selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  };

  each("[data-copy]", function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        button.textContent = button.getAttribute("data-done");
      }, function () {});
    });
  });

  var audio = document.querySelector("audio[data-player]");
  if (!audio) return;
  var marks = [];
  each("[data-start]", function (link) {
    var start = parseFloat(link.getAttribute("data-start"));
    if (isNaN(start)) return;
    var item = link.closest(".cues li") || link;
    marks.push({ start: start, item: item, chapter: !!link.closest(".chapters") });
    link.addEventListener("click", function (event) {
      event.preventDefault();
      audio.currentTime = start;
      var playing = audio.play();
      if (playing && playing.catch) playing.catch(function () {});
    });
  });

  // Highlight the chapter and the transcript cue being played.
  function highlight() {
    var now = audio.currentTime + 0.05;
    [true, false].forEach(function (chapters) {
      var current = null;
      marks.forEach(function (mark) {
        if (mark.chapter === chapters && mark.start <= now) current = mark;
      });
      marks.forEach(function (mark) {
        if (mark.chapter !== chapters) return;
        if (mark === current) mark.item.setAttribute("aria-current", "true");
        else mark.item.removeAttribute("aria-current");
      });
    });
  }
  audio.addEventListener("timeupdate", highlight);
  audio.addEventListener("seeked", highlight);
  highlight();
})();
