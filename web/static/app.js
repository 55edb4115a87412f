/* The chat page: one Socket.IO connection, the session token kept in localStorage, the transcript
   replayed after a reload or reconnect. Contract: start/session/transcript/message/reply events. */
(function () {
  "use strict";

  var R = window.Render;
  var el = R.el;
  var TOKEN_KEY = "interviewer.token";
  var SPEAK_KEY = "interviewer.speak";
  var WORDS_PER_MINUTE = 140; // the same pace the grader uses for "speaking time"
  var TYPING_MS = 450; // the interviewer "types" at least this long before a reply shows

  var $ = function (id) { return document.getElementById(id); };
  var doneButton = $("done");
  var app = $("app");
  var maxBytes = Number(app.getAttribute("data-max-bytes")) || 8192;
  var statusEl = $("status");
  var setup = $("setup");
  var setupForm = $("setup-form");
  var chat = $("chat");
  var log = $("log");
  var typing = $("typing");
  var composer = $("composer");
  var box = $("answer");
  var counter = $("counter");
  var micButton = $("mic");
  var newButton = $("new-interview");
  var speakControl = $("speak-control");
  var speakToggle = $("speak-toggle");

  var session = null; // {session_id, token}
  var ready = false; // a session is attached to this connection
  var lastSent = "";
  var sentAt = 0;
  var queue = [];
  var flushTimer = null;
  var pendingStart = null; // the set-up the user chose, sent once connected

  function storage(key, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(key);
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (e) { /* private mode: the session lasts as long as the page */ }
    return null;
  }

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "status" + (kind ? " status-" + kind : "");
    statusEl.hidden = !text;
  }

  // ------------------------------------------------------------------ the log

  function scrollTo(node, where) {
    if (node && node.scrollIntoView) node.scrollIntoView({ block: where || "nearest" });
  }

  // Keep what scrolls into view clear of the sticky answer box (see scroll-padding in style.css).
  function trackComposer() {
    document.documentElement.style.setProperty("--composer-height", (composer.hidden ? 0 : composer.offsetHeight) + "px");
  }
  if (window.ResizeObserver) new ResizeObserver(trackComposer).observe(composer);

  function addItem(role, kind, content) {
    var label = role === "user" ? "You" : kind === "hint" ? "Hint" : kind === "error" ? "Problem" : "Interviewer";
    var item = el("li", { className: "msg msg-" + role + " msg-" + kind }, [
      el("span", { className: "who", text: label }),
      el("div", { className: "body" }, [content])
    ]);
    log.appendChild(item);
    return item;
  }

  function userMessage(text) {
    return addItem("user", "message", R.textBlock(text));
  }

  function scorecardLinks() {
    if (!session) return null;
    var base = "/sessions/" + encodeURIComponent(session.session_id);
    // The read-only share key, never the token: these links can be shared, bookmarked, logged.
    var q = "?key=" + encodeURIComponent(session.share || "");
    var again = el("button", { type: "button", text: "New interview" });
    again.addEventListener("click", function () { newButton.click(); });
    return el("p", { className: "links" }, [
      el("a", { href: base + q, className: "button-link", text: "Open the full scorecard" }), " ",
      el("a", { href: base + ".md" + q + "&download=1", download: "", text: "Export Markdown" }), " ",
      el("a", { href: base + ".json" + q + "&download=1", download: "", text: "Export JSON" }), " ",
      again
    ]);
  }

  function render(reply, replay) {
    var content;
    switch (reply.kind) {
      case "question": content = R.question(reply); break;
      case "feedback": content = R.feedback(reply); break;
      case "lookup": content = R.lookup(reply); break;
      case "summary": content = R.summary(reply, scorecardLinks()); break;
      case "greeting": content = R.greeting(reply, replay ? null : function (t) { send(t); }); break;
      default: content = R.textBlock(reply.text);
    }
    var item = addItem("interviewer", reply.kind || "notice", content);
    if (reply.kind === "summary") setFinished(true, reply.ended_by === "last");
    else if (reply.kind === "question") setFinished(false, false);
    // While an answer is collected over several messages, offer the button that submits it.
    if (typeof reply.draft_words === "number") doneButton.hidden = false;
    else if (reply.kind === "feedback" || reply.kind === "question" || reply.kind === "summary") doneButton.hidden = true;
    if (!replay) {
      if (reply.kind === "question") speak(reply.question && reply.question.prompt, reply);
      if (reply.kind === "feedback" && reply.follow_up) speak(reply.follow_up);
      if (reply.kind === "error" && reply.retry) restore(reply);
    }
    return item;
  }

  // After the summary the interview is over: the box and the commands rest, and a new interview needs no
  // confirmation. An interview that ended with its last question can still retry that one (until End).
  var finished = false;

  function setFinished(done, canRetry) {
    finished = done;
    box.disabled = done;
    box.placeholder = done ? "This interview is over — start a new one with “New interview”."
                           : "Type your answer — Enter sends, Shift+Enter adds a line";
    $("send").disabled = done;
    composer.querySelectorAll(".toolbar button").forEach(function (b) {
      b.disabled = done && !(canRetry && b.getAttribute("data-command") === "/retry");
    });
    if (done) newButton.classList.add("button-primary");
    else newButton.classList.remove("button-primary");
  }

  function restore(reply) {
    // Nothing typed is lost: the refused text goes back into the box for another try.
    var text = typeof reply.unsent === "string" ? reply.unsent : lastSent;
    if (text && !box.value.trim()) {
      box.value = text;
      updateCounter();
    }
  }

  function flush() {
    flushTimer = null;
    var first = null;
    while (queue.length) {
      var item = render(queue.shift(), false);
      first = first || item;
    }
    typing.hidden = true;
    // A tall card (feedback, summary) is shown from its top; short replies just come into view.
    if (first && first.offsetHeight > window.innerHeight * 0.5) scrollTo(first, "start");
    else scrollTo(log.lastElementChild, "end");
  }

  function onReply(reply) {
    if (!reply || typeof reply !== "object") return;
    queue.push(reply);
    var wait = sentAt + TYPING_MS - Date.now();
    if (wait > 0) {
      if (!flushTimer) flushTimer = setTimeout(flush, wait);
    } else if (!flushTimer) {
      flush();
    }
  }

  // ------------------------------------------------------------------ sending

  function byteLength(text) {
    return new TextEncoder().encode(text).length;
  }

  function localNotice(text) {
    var item = addItem("interviewer", "notice", R.textBlock(text));
    item.classList.add("local");
    scrollTo(item, "end");
  }

  function send(text) {
    if (!socket.connected || !ready) {
      localNotice("Not connected right now — your text stays in the box; send it once I'm back.");
      return false;
    }
    if (byteLength(text) > maxBytes) {
      localNotice("That message is " + byteLength(text).toLocaleString() + " bytes; the limit is " +
        maxBytes.toLocaleString() + ". Send it in parts — I'll keep collecting until you say “done”.");
      return false;
    }
    userMessage(text);
    lastSent = text;
    sentAt = Date.now();
    typing.hidden = false;
    scrollTo(typing, "end");
    socket.emit("message", { text: text });
    return true;
  }

  function sendBox() {
    var text = box.value;
    if (!text.trim()) {
      box.focus();
      return;
    }
    if (send(text)) {
      box.value = "";
      updateCounter();
    }
    box.focus();
  }

  var WORD = /\d+(?:[.,]\d+)+|[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*/gu;

  function updateCounter() {
    // Words counted as the scorecard counts them (interviewer/text.py): "read-through" is two, "I'd" one.
    var words = (box.value.match(WORD) || []).length;
    var seconds = Math.round(words * 60 / WORDS_PER_MINUTE);
    var size = byteLength(box.value);
    var note = words + (words === 1 ? " word" : " words") + " · ~" + R.duration(seconds) + " spoken";
    if (size > maxBytes * 0.8) note += " · " + size.toLocaleString() + " / " + maxBytes.toLocaleString() + " bytes";
    counter.textContent = note;
    counter.classList.toggle("over", size > maxBytes);
  }

  composer.addEventListener("submit", function (e) {
    e.preventDefault();
    sendBox();
  });

  box.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      sendBox();
    }
  });
  box.addEventListener("input", updateCounter);

  composer.querySelectorAll("button[data-command]").forEach(function (button) {
    button.addEventListener("click", function () {
      var command = button.getAttribute("data-command");
      if (command === "/end" && !window.confirm("End the interview and see the summary?")) return;
      send(command); // commands leave the answer in the box alone
    });
  });

  $("lookup").addEventListener("click", function () {
    var text = box.value.trim();
    if (text && text.indexOf("/lookup") !== 0) {
      if (send("/lookup " + text)) {
        box.value = "";
        updateCounter();
      }
      return;
    }
    if (text) {
      sendBox();
      return;
    }
    box.value = "/lookup ";
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    updateCounter();
  });

  // ------------------------------------------------------------------ set-up and sessions

  function showSetup() {
    if (!setup.hidden) return; // already there: never pull the focus away from what the user is doing
    setup.hidden = false;
    chat.hidden = true;
    composer.hidden = true;
    newButton.hidden = true;
    trackComposer();
    var first = setupForm.querySelector("input[name=topic]:checked");
    if (first) first.focus();
  }

  function showChat() {
    setup.hidden = true;
    chat.hidden = false;
    composer.hidden = false;
    newButton.hidden = false;
    trackComposer();
  }

  function begin(request) {
    log.textContent = "";
    showChat();
    box.focus();
    sentAt = Date.now();
    typing.hidden = false;
    if (socket.connected) socket.emit("start", request);
    else pendingStart = request;
  }

  setupForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var topic = (setupForm.querySelector("input[name=topic]:checked") || {}).value || "surprise";
    var mode = (setupForm.querySelector("input[name=mode]:checked") || {}).value || "interview";
    // A design round asks for a prompt first: no topic.
    var request = mode === "design" ? { mode: mode } : { topic: topic };
    var level = $("level").value;
    if (level) request.difficulty = level;
    var count = parseInt($("count").value, 10);
    if (count >= 1 && count <= 20) request.count = count;
    begin(request);
  });

  // The topic and level are for interview questions; a design round hides them and says what it is.
  setupForm.querySelectorAll("input[name=mode]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      var design = radio.checked && radio.value === "design";
      if (!radio.checked) return;
      setupForm.querySelector("fieldset.topics").hidden = design;
      $("level").closest(".field").hidden = design;
      $("design-note").hidden = !design;
      $("start").textContent = design ? "Start the design round" : "Start the interview";
    });
  });
  // A review round: questions for the concepts due for review (the learner is this browser's cookie).
  $("review").addEventListener("click", function () { begin({ mode: "review" }); });

  newButton.addEventListener("click", function () {
    if (session && !finished && !window.confirm("Start a new interview? This one stays in your history.")) return;
    setFinished(false, false);
    storage(TOKEN_KEY, null);
    session = null;
    ready = false;
    log.textContent = "";
    showSetup();
  });

  function claim(s) {
    // Let this browser open the scorecard and list the session in History (an HttpOnly cookie).
    if (!window.fetch) return;
    fetch("/sessions/" + encodeURIComponent(s.session_id) + "/claim", {
      method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
      body: JSON.stringify({ token: s.token })
    }).catch(function () { /* the ?token= links still work */ });
  }

  // ------------------------------------------------------------------ the socket

  var socket = window.io({ reconnectionDelayMax: 4000 });

  socket.on("connect", function () {
    var token = storage(TOKEN_KEY);
    ready = false;
    if (window.location.hash === "#review" && !session) {
      // "Review what's due" on the progress page: a review round (an interview in progress stays in History).
      window.history.replaceState(null, "", window.location.pathname);
      storage(TOKEN_KEY, null);
      token = null;
      pendingStart = { mode: "review" };
      log.textContent = "";
      showChat();
    }
    if (token) {
      setStatus("Connected — picking up where you left off…", "info");
      socket.emit("start", { token: token });
    } else if (pendingStart) {
      setStatus("", null);
      socket.emit("start", pendingStart);
      pendingStart = null;
    } else if (!session) {
      setStatus("", null);
      showSetup();
    }
  });

  socket.on("session", function (s) {
    session = s;
    ready = true;
    storage(TOKEN_KEY, s.token);
    claim(s);
    showChat();
    setStatus("", null);
  });

  // A resumed transcript holds the latest turns; `earlier` (a count) says how many came before.
  function replayTurns(turns) {
    (turns || []).forEach(function (turn) {
      if (turn.role === "user") userMessage(turn.text);
      else render(turn, true);
    });
  }

  function earlierButton(count, before) {
    if (!count) return;
    var button = el("button", { type: "button", className: "button-quiet earlier",
                                text: "Show earlier turns (" + count + " more)" });
    button.addEventListener("click", function () {
      button.disabled = true;
      socket.emit("earlier", { before: before });
    });
    log.insertBefore(el("li", { className: "msg msg-earlier" }, [button]), log.firstChild);
  }

  socket.on("earlier", function (page) {
    var top = log.querySelector(".msg-earlier");
    var first = top ? top.nextSibling : log.firstChild;
    if (top) log.removeChild(top);
    var end = log.lastChild;
    replayTurns(page.turns);
    // The page was drawn at the end of the log: move it above what was already there.
    var moved = [];
    for (var node = end ? end.nextSibling : log.firstChild; node; node = node.nextSibling) moved.push(node);
    moved.forEach(function (node) { log.insertBefore(node, first); });
    if (page.turns && page.turns.length) earlierButton(page.earlier, page.turns[0].seq);
  });

  socket.on("transcript", function (t) {
    log.textContent = "";
    queue = [];
    typing.hidden = true;
    replayTurns(t.turns);
    if (t.turns && t.turns.length) earlierButton(t.earlier, t.turns[0].seq);
    var note = t.phase === "ended"
      ? "Welcome back — this interview is over. Say “new” for another, or open the scorecard from the summary."
      : "Welcome back — we're where we left off.";
    localNotice(note);
    box.focus();
    window.scrollTo(0, document.body.scrollHeight);
  });

  socket.on("reply", onReply);

  socket.on("disconnect", function (reason) {
    ready = false;
    if (recording) { stopCapture(); micIdle(); showHeard("", null); }
    if (reason === "io client disconnect") return;
    setStatus("Connection lost — reconnecting… Your text stays in the box.", "error");
  });

  socket.io.on("reconnect_attempt", function () {
    setStatus("Connection lost — reconnecting… Your text stays in the box.", "error");
  });

  socket.on("connect_error", function () {
    setStatus("Can't reach the interviewer — retrying… Is `interviewer serve` running?", "error");
  });

  // ------------------------------------------------------------------ voice

  // Dictate: the microphone through an AudioWorklet, 16 kHz PCM chunks over the socket, the
  // text recognised on the server (offline) coming back as `dictation` events. The final text
  // goes into the answer box, to be corrected before it is sent.
  var dictationLine = $("dictation");
  var recording = null; // {context, stream, node, base}

  function showHeard(text, kind) {
    dictationLine.hidden = !text;
    dictationLine.textContent = text;
    dictationLine.className = "dictation" + (kind ? " dictation-" + kind : "");
  }

  function micIdle() {
    micButton.setAttribute("aria-pressed", "false");
    micButton.textContent = "Dictate";
    micButton.disabled = false;
  }

  function stopCapture() {
    if (!recording) return;
    var r = recording;
    recording = null;
    r.stream.getTracks().forEach(function (t) { t.stop(); });
    if (r.node) r.node.disconnect();
    r.context.close().catch(function () {});
  }

  function startDictation() {
    micButton.disabled = true;
    var AudioCtx = window.AudioContext || window.webkitAudioContext;
    navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } })
      .then(function (stream) {
        var context;
        try { context = new AudioCtx({ sampleRate: 16000 }); } catch (e) { context = new AudioCtx(); }
        recording = { context: context, stream: stream, node: null, base: box.value };
        return context.audioWorklet.addModule(micButton.getAttribute("data-worklet")).then(function () {
          if (!recording) return; // stopped while loading
          var node = new AudioWorkletNode(context, "pcm-capture");
          recording.node = node;
          node.port.onmessage = function (e) {
            if (e.data === "flushed") { socket.emit("audio_end"); stopCapture(); return; }
            if (socket.connected) socket.emit("audio_chunk", e.data);
          };
          context.createMediaStreamSource(stream).connect(node);
          socket.emit("audio_start", { rate: 16000 });
          micButton.setAttribute("aria-pressed", "true");
          micButton.textContent = "Stop dictating";
          micButton.disabled = false;
          showHeard("Listening…", "live");
        });
      })
      .catch(function (err) {
        stopCapture();
        micIdle();
        localNotice("The microphone is not available (" + (err && err.name || err) + "). You can keep typing.");
      });
  }

  function stopDictation() {
    if (!recording) return;
    micButton.disabled = true;
    micButton.textContent = "Finishing…";
    if (recording.node) recording.node.port.postMessage("flush"); // the rest, then audio_end
    else { stopCapture(); socket.emit("audio_end"); }
  }

  socket.on("dictation", function (d) {
    if (!d || typeof d !== "object") return;
    if (d.kind === "partial") {
      showHeard("Hearing: " + d.text, "live");
    } else if (d.kind === "final") {
      var base = box.value;
      var said = (d.normalised || d.text || "").trim();
      if (said) box.value = (base.trim() ? base.replace(/\s*$/, " ") : "") + said;
      updateCounter();
      showHeard(said ? "Heard: " + d.text + " — check the text in the box, then send it." : "I heard nothing — try again closer to the microphone.", "done");
      stopCapture();
      micIdle();
      box.focus();
    } else if (d.kind === "error") {
      localNotice("Dictation: " + d.text);
      if (!/text so far is kept/.test(d.text)) {
        stopCapture();
        micIdle();
        showHeard("", null);
      }
    }
  });

  if (window.AudioWorkletNode && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    micButton.hidden = false;
    micButton.addEventListener("click", function () {
      if (recording) stopDictation();
      else startDictation();
    });
  }

  function speak(text) {
    if (!text || !speakToggle.checked || !("speechSynthesis" in window)) return;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(new SpeechSynthesisUtterance(text));
  }

  if ("speechSynthesis" in window && window.SpeechSynthesisUtterance) {
    speakControl.hidden = false;
    speakToggle.checked = storage(SPEAK_KEY) === "1";
    speakToggle.addEventListener("change", function () {
      storage(SPEAK_KEY, speakToggle.checked ? "1" : "0");
      if (!speakToggle.checked) window.speechSynthesis.cancel();
    });
  }

  if (!storage(TOKEN_KEY)) showSetup();
  updateCounter();
})();
