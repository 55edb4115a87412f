/* Build the DOM for each kind of interviewer reply. Every user or corpus text goes in through
   textContent / text nodes, never innerHTML, so HTML in an answer or a note shows as typed. */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") node.textContent = String(value);
        else if (key === "className") node.className = value;
        else if (key === "hidden") node.hidden = true;
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var uid = 0;
  function nextId(prefix) {
    uid += 1;
    return prefix + "-" + uid;
  }

  /* Text with **marked** words (search snippets) → text nodes and <mark> elements. */
  function marked(text) {
    var frag = document.createDocumentFragment();
    String(text || "").split("**").forEach(function (part, i) {
      if (!part) return;
      frag.appendChild(i % 2 ? el("mark", { text: part }) : document.createTextNode(part));
    });
    return frag;
  }

  function escapeRegExp(s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  /* The answer with its filler words in <mark class="filler">. */
  function withFillers(text, fillers) {
    var frag = document.createDocumentFragment();
    var words = (fillers || []).filter(Boolean).map(function (w) { return String(w).toLowerCase().trim(); })
      .filter(function (w, i, all) { return w && all.indexOf(w) === i; })
      .sort(function (a, b) { return b.length - a.length; });
    if (!words.length) {
      frag.appendChild(document.createTextNode(text || ""));
      return frag;
    }
    var re = new RegExp("(^|[^\\w'])(" + words.map(escapeRegExp).join("|") + ")(?![\\w'])", "gi");
    var at = 0;
    var m;
    while ((m = re.exec(text)) !== null) {
      var start = m.index + m[1].length;
      if (start > at) frag.appendChild(document.createTextNode(text.slice(at, start)));
      frag.appendChild(el("mark", { className: "filler", text: m[2] }));
      at = start + m[2].length;
      if (m[0].length === 0) re.lastIndex += 1;
    }
    if (at < text.length) frag.appendChild(document.createTextNode(text.slice(at)));
    return frag;
  }

  function lastHeading(heading, doc) {
    var parts = String(heading || "").split(" > ");
    return parts[parts.length - 1] || doc || "";
  }

  function sourceLine(src) {
    if (!src || !src.doc) return null;
    return el("p", { className: "source" }, [
      "Source: ", el("cite", { text: lastHeading(src.heading, src.doc) }),
      " (" + src.doc + (src.line ? ", line " + src.line : "") + ")"
    ]);
  }

  function pct(x) {
    return Math.round((Number(x) || 0) * 100) + "%";
  }

  function band(grade) {
    if (grade === null || grade === undefined) return "none";
    return grade >= 4 ? "strong" : grade >= 2.5 ? "fair" : "weak";
  }

  function duration(seconds) {
    var s = Math.round(Number(seconds) || 0);
    return s < 90 ? s + " s" : (s / 60).toFixed(1) + " min";
  }

  function coverageBar(score, label) {
    var fill = el("span", { className: "bar-fill" });
    fill.style.width = Math.max(0, Math.min(100, (Number(score) || 0) * 100)) + "%";
    return el("span", {
      className: "bar", role: "img", "aria-label": label + ": " + pct(score)
    }, [fill]);
  }

  function textBlock(text, className) {
    return el("div", { className: "pre " + (className || ""), text: text });
  }

  function details(summary, body, className) {
    return el("details", { className: className || "" }, [el("summary", { text: summary }), body]);
  }

  // ------------------------------------------------------------------ the kinds

  function question(reply) {
    var q = reply.question || {};
    var lines = String(reply.text || "").split("\n");
    var lead = lines[0] && lines[0].indexOf("Question ") !== 0 ? lines[0] : null;
    var title = "Question " + reply.number + " of " + reply.total;
    var card = el("article", { className: "card question-card", "aria-label": title }, [
      lead ? el("p", { className: "lead-in", text: lead }) : null,
      el("header", { className: "card-head" }, [
        el("h2", { className: "q-title", text: title }),
        el("p", { className: "badges" }, [
          el("span", { className: "badge", text: q.kind }), " ",
          el("span", { className: "badge", text: q.topic }), " ",
          el("span", { className: "badge", text: q.difficulty })
        ])
      ]),
      el("p", { className: "prompt", text: q.prompt })
    ]);
    if (q.options && q.options.length) {
      card.appendChild(el("ol", { className: "options", type: "A" }, q.options.map(function (o) {
        return el("li", { text: o.text });
      })));
      card.appendChild(el("p", { className: "small", text: "Answer with a letter, or the option in your words — and say why." }));
    }
    var source = sourceLine(q.source); // a typed design prompt the notes do not cover has none
    if (source) card.appendChild(source);
    if (reply.design) {
      card.appendChild(el("p", { className: "small", text: "Answer in as many messages as you like, then “done”." }));
    }
    return card;
  }

  function chipList(items, className) {
    return el("ul", { className: "chips" }, items.map(function (item) {
      return el("li", { className: "chip " + className }, item);
    }));
  }

  function feedback(reply) {
    var isFollowUp = !!reply.follow_up_of;
    var grade = Number(reply.grade);
    var card = el("article", {
      className: "card feedback-card band-" + band(isFollowUp ? reply.question_grade : grade),
      "aria-label": isFollowUp ? "Feedback on the follow-up" : "Feedback: grade " + grade.toFixed(1) + " out of 5"
    });
    var head = el("header", { className: "card-head" });
    if (isFollowUp) {
      head.appendChild(el("h2", { className: "grade", text: "Follow-up: " + pct(reply.score) + " covered" }));
      head.appendChild(el("p", {
        className: "small",
        text: (reply.credit >= 0 ? "+" : "") + Number(reply.credit || 0).toFixed(1) +
          " to the question, now " + Number(reply.question_grade || 0).toFixed(1) + " / 5"
      }));
    } else {
      head.appendChild(el("h2", { className: "grade" }, [grade.toFixed(1), el("small", { text: " / 5" })]));
      if (reply.previous) {
        var delta = Number(reply.score) - Number(reply.previous.score);
        head.appendChild(el("p", {
          className: "small",
          text: "Attempt " + reply.attempt + ": was " + Number(reply.previous.grade).toFixed(1) + " / 5 (score " +
            Number(reply.previous.score).toFixed(2) + " → " + Number(reply.score).toFixed(2) + ", " +
            (delta >= 0 ? "+" : "") + delta.toFixed(2) + ")"
        }));
      }
      var diff = reply.difference;
      if (diff) {
        // What the retry changed, per concept.
        var said = [["newly covered", diff.newly_covered], ["newly explained", diff.newly_explained], ["dropped", diff.dropped]]
          .filter(function (p) { return p[1] && p[1].length; })
          .map(function (p) { return p[0] + ": " + p[1].join(" · "); });
        head.appendChild(el("p", { className: "small difference",
          text: "Since last time — " + (said.length ? said.join("; ") : "the same concepts as before") }));
      }
    }
    // The bar and its words count the chips below: "2 of 5 key concepts covered (1 explained)".
    var nMatched = (reply.matched || []).length;
    var nTotal = nMatched + (reply.missed || []).length;
    var nExplained = (reply.matched || []).filter(function (m) { return m.explained !== false; }).length;
    head.appendChild(el("div", { className: "coverage" }, [
      coverageBar(nTotal ? nMatched / nTotal : 0, "Key concepts covered"),
      el("span", {
        className: "coverage-label",
        text: nMatched + " of " + nTotal + " key concepts covered" +
          (nMatched && nExplained < nMatched ? " (" + nExplained + " explained)" : "") +
          " · score " + Number(reply.score).toFixed(2)
      })
    ]));
    if (reply.dimensions && nTotal) {
      // The three dimensions of the score, apart: what was named, how much of it explained, how it was said.
      var dims = reply.dimensions;
      head.appendChild(el("p", { className: "dimensions small", text: "Coverage " + Number(dims.coverage).toFixed(2) +
        " · explanation " + Number(dims.explanation).toFixed(2) + " · delivery " + Number(dims.delivery).toFixed(2) }));
    }
    card.appendChild(head);

    if (reply.correct_option) {
      card.appendChild(el("p", {
        className: reply.chose_correctly ? "right" : "wrong",
        text: "The right option is " + reply.correct_option + (reply.chose_correctly ? " — you chose it." : ".")
      }));
    }

    var matched = (reply.matched || []).filter(function (m) { return m.explained !== false; });
    var named = (reply.matched || []).filter(function (m) { return m.explained === false; });
    if (matched.length) {
      card.appendChild(el("h3", { text: "Explained" }));
      card.appendChild(chipList(matched.map(function (m) {
        var parts = [el("span", { text: m.concept })];
        if (m.evidence && String(m.evidence).toLowerCase() !== String(m.concept).toLowerCase()) {
          parts.push(el("span", { className: "evidence", text: "“" + m.evidence + "”" }));
        }
        return parts;
      }), "chip-covered"));
    }
    if (named.length) {
      card.appendChild(el("h3", { text: "Named only" }));
      card.appendChild(el("p", { className: "small", text: "Named without saying what they do or why." }));
      card.appendChild(chipList(named.map(function (m) { return [el("span", { text: m.concept })]; }), "chip-named"));
    }

    var missed = reply.missed || [];
    if (missed.length) {
      card.appendChild(el("h3", { text: "Missed" }));
      var panel = el("p", { className: "reference-panel", hidden: true, "aria-live": "polite" });
      var panelId = nextId("ref");
      panel.id = panelId;
      var list = el("ul", { className: "chips" });
      missed.forEach(function (m) {
        var button = el("button", {
          type: "button", className: "chip chip-missed", "aria-expanded": "false", "aria-controls": panelId,
          title: "Show what the model answer says", text: m.concept
        });
        button.addEventListener("click", function () {
          var open = button.getAttribute("aria-expanded") === "true";
          list.querySelectorAll("button[aria-expanded]").forEach(function (b) { b.setAttribute("aria-expanded", "false"); });
          if (open) {
            panel.hidden = true;
            return;
          }
          button.setAttribute("aria-expanded", "true");
          panel.textContent = "";
          panel.appendChild(el("strong", { text: m.concept + ": " }));
          panel.appendChild(document.createTextNode(m.reference && m.reference !== m.concept
            ? "“" + m.reference + "”" : "see the model answer below."));
          panel.hidden = false;
        });
        list.appendChild(el("li", null, [button]));
      });
      card.appendChild(list);
      card.appendChild(panel);
    }

    (reply.flag_details || []).forEach(function (f) {
      card.appendChild(el("p", { className: "note", text: "Note: " + (f.message || f.flag) }));
    });

    // The design rubric: for a design prompt or a scenario (an open question's rubric stays in the data).
    if (reply.rubric && (reply.question_kind === "design" || reply.question_kind === "scenario")) {
      card.appendChild(rubricBlock(reply.rubric));
    }

    var d = reply.delivery;
    if (d) {
      var figures = el("dl", { className: "figures" }, [
        el("div", null, [el("dt", { text: "Words" }), el("dd", { text: String(d.words) })]),
        el("div", null, [el("dt", { text: "Fillers" }), el("dd", {
          text: d.fillers + (d.filler_words && d.filler_words.length
            ? " (" + d.filler_words.filter(function (w, i, a) { return a.indexOf(w) === i; }).join(", ") + ")" : "")
        })]),
        el("div", null, [el("dt", { text: "Speaking time" }), el("dd", { text: "~" + duration(d.speaking_seconds) })])
      ]);
      if (d.top_words && d.top_words.length) {
        figures.appendChild(el("div", null, [el("dt", { text: "Most used" }), el("dd", {
          text: d.top_words.map(function (p) { return p[0] + " (" + p[1] + ")"; }).join(", ")
        })]));
      }
      card.appendChild(el("h3", { text: "Delivery" }));
      card.appendChild(figures);
    }
    if (reply.answer) {
      var answer = el("blockquote", { className: "answer pre" }, [withFillers(reply.answer, d && d.filler_words)]);
      card.appendChild(details("Your answer" + (d && d.fillers ? " (fillers marked)" : ""), answer, "your-answer"));
    }
    if (reply.reference && !isFollowUp) {
      card.appendChild(details("Model answer", textBlock(reply.reference), "model-answer"));
    }
    if (reply.follow_up) {
      card.appendChild(el("p", { className: "follow-up" }, [el("strong", { text: "Follow-up: " }), reply.follow_up]));
      card.appendChild(el("p", { className: "small", text: "Answer it, or say “next” to move on." }));
    }
    return card;
  }

  function rubricBlock(r) {
    var box = el("section", { className: "rubric", "aria-label": "Design rubric" });
    box.appendChild(el("h3", { text: "Design rubric: " + r.verdict + " (" + Number(r.score).toFixed(2) + ")" }));
    box.appendChild(el("p", { className: "small", text: r.verdict_note }));
    box.appendChild(chipList((r.phases || []).map(function (p) {
      return [el("span", { text: p.title + (p.covered ? " " + Math.round(p.share * 100) + "%" : "") })];
    }), "chip-phase"));
    box.querySelectorAll(".chip-phase").forEach(function (chip, i) {
      chip.classList.add(r.phases[i].covered ? "chip-covered" : "chip-missed");
    });
    (r.estimates || []).forEach(function (e) {
      box.appendChild(el("p", { className: e.ok ? "small" : "note",
        text: (e.ok ? "✓ " : "✗ ") + e.claim + (e.formula ? " — " + e.formula : "") }));
    });
    if (r.signals && r.signals.length) {
      box.appendChild(el("ul", { className: "signals" }, r.signals.map(function (s) {
        return el("li", null, [el("strong", { text: s.title + ": " }), s.level + (s.evidence ? " — “" + s.evidence + "”" : "")]);
      })));
    }
    if (r.nudges && r.nudges.length) {
      box.appendChild(el("p", { className: "small", text: "Next time: " + r.nudges[0] }));
    }
    return box;
  }

  function lookup(reply) {
    var hits = reply.hits || [];
    var card = el("article", { className: "card lookup-card", "aria-label": "Lookup: " + reply.query }, [
      el("header", { className: "card-head" }, [el("h2", { text: "From the notes: " + (reply.query || "") })])
    ]);
    if (reply.suggestion) card.appendChild(el("p", { className: "small", text: "Searching for “" + reply.suggestion + "”." }));
    if (!hits.length) {
      card.appendChild(el("p", { text: reply.text }));
      return card;
    }
    hits.forEach(function (h, i) {
      var body = el("div", { className: "hit-body" }, [
        el("p", { className: "snippet" }, [marked(h.snippet)]),
        h.text ? details("Whole passage", textBlock(h.text), "passage") : null
      ]);
      var summary = el("summary", null, [
        el("cite", { text: lastHeading(h.heading, h.doc) }),
        el("span", { className: "small", text: " — " + h.doc + ", line " + h.line })
      ]);
      var item = el("details", { className: "hit" }, [summary, body]);
      if (i === 0) item.open = true;
      card.appendChild(item);
    });
    if (/Back to the question/.test(reply.text || "")) {
      card.appendChild(el("p", { className: "small", text: "Back to the question whenever you're ready." }));
    }
    return card;
  }

  function summary(reply, links) {
    var avg = reply.average_grade;
    var card = el("article", { className: "card summary-card band-" + band(avg), "aria-label": "Session summary" }, [
      el("header", { className: "card-head" }, [
        el("h2", { text: "Session summary" }),
        el("p", { className: "grade" }, avg === null || avg === undefined
          ? ["No grades yet"] : [Number(avg).toFixed(1), el("small", { text: " / 5 average" })])
      ])
    ]);
    var rows = reply.questions || [];
    if (rows.length) {
      var body = el("tbody", null, rows.map(function (r) {
        return el("tr", null, [
          el("td", { text: String(r.number) }),
          el("td", { text: r.prompt }),
          el("td", { text: r.topic }),
          el("td", { className: "band-" + (r.skipped ? "none" : band(r.grade)), text: r.skipped ? "skipped" : Number(r.grade).toFixed(1) })
        ]);
      }));
      card.appendChild(el("div", { className: "table-wrap" }, [el("table", { className: "summary-table" }, [
        el("thead", null, [el("tr", null, ["#", "Question", "Topic", "Grade"].map(function (h) {
          return el("th", { scope: "col", text: h });
        }))]),
        body
      ])]));
    }
    if (reply.weakest_concepts && reply.weakest_concepts.length) {
      card.appendChild(el("h3", { text: "Weakest concepts" }));
      card.appendChild(chipList(reply.weakest_concepts.map(function (c) { return [c]; }), "chip-missed"));
    }
    if (reply.read_next && reply.read_next.length) {
      card.appendChild(el("h3", { text: "Read next" }));
      card.appendChild(el("ul", { className: "study" }, reply.read_next.map(function (r) {
        return el("li", null, [el("strong", { text: r.concept }), " → ", el("cite", { text: lastHeading(r.heading, r.doc) }),
          " (" + r.doc + ", line " + r.line + ")"]);
      })));
    }
    if (reply.coming_back && reply.coming_back.length) {
      card.appendChild(el("h3", { text: "Coming back for review" }));
      card.appendChild(el("ul", { className: "study coming-back" }, reply.coming_back.slice(0, 8).map(function (c) {
        return el("li", null, [el("strong", { text: c.label }), " — " + c.when]);
      })));
      if (reply.coming_back.length > 8) {
        card.appendChild(el("p", { className: "small", text: "… and " + (reply.coming_back.length - 8) + " more on your Progress page." }));
      }
    }
    if (links) card.appendChild(links);
    return card;
  }

  function greeting(reply, onTopic) {
    var box = el("div", null, [textBlock(reply.text)]);
    if (reply.topics && reply.topics.length && onTopic) {
      var chips = el("div", { className: "chips", role: "group", "aria-label": "Topics" });
      ["surprise me"].concat(reply.topics).forEach(function (t) {
        var b = el("button", { type: "button", className: "chip chip-choice-button", text: t });
        b.addEventListener("click", function () { onTopic(t); });
        chips.appendChild(b);
      });
      box.appendChild(chips);
    }
    return box;
  }

  window.Render = {
    el: el, marked: marked, withFillers: withFillers, question: question, feedback: feedback,
    lookup: lookup, summary: summary, greeting: greeting, textBlock: textBlock, duration: duration
  };
})();
