// Progressive enhancement: every page works without this file.
"use strict";

// A running job: its progress, read every half second; the finished page, loaded once.
function followJob(box) {
  const bar = document.getElementById("progress-bar");
  const text = document.getElementById("progress-text");
  let last = "";
  async function poll() {
    const answer = await fetch(box.dataset.url, {cache: "no-store"});
    const progress = await answer.json();
    if (progress.finished) {
      location.reload();
      return;
    }
    if (bar) {
      bar.max = Math.max(progress.total, 1);
      bar.value = progress.done;
    }
    const line = progress.state === "queued"
      ? "Waiting for the build before it to finish."
      : `${progress.done} of ${progress.total} documents built.`;
    if (line !== last) {  // a live region announces changes only
      text.textContent = line;
      last = line;
    }
    setTimeout(poll, 500);
  }
  setTimeout(poll, 500);
}

// The organisation form: one material in one language, laid out again as the form changes.
function livePreview(section) {
  const form = document.getElementById("organisation-form");
  const status = document.getElementById("preview-status");
  const pages = document.getElementById("preview-pages");
  const token = form.querySelector("input[name=csrf_token]").value;
  let timer = null;
  let asked = 0;
  async function show() {
    const number = ++asked;
    const data = new FormData(form);
    data.delete("logo");  // the preview does not send the picture again
    data.set("lang", document.getElementById("preview-lang").value);
    data.set("material", document.getElementById("preview-material").value);
    status.textContent = "Laying the preview out…";
    let answer;
    try {
      const response = await fetch(section.dataset.url, {
        method: "POST", body: data, headers: {"X-CSRF-Token": token},
      });
      answer = await response.json();
    } catch (error) {
      if (number === asked) status.textContent = "The preview could not be made.";
      return;
    }
    if (number !== asked) return;  // a newer preview is on its way
    const lang = document.getElementById("preview-lang");
    const material = document.getElementById("preview-material");
    const what = `${material.selectedOptions[0].text} in ${lang.selectedOptions[0].text}`;
    pages.replaceChildren(...answer.pages.map((src, index) => {
      const image = document.createElement("img");
      image.src = src;
      image.alt = `Preview of the ${what.toLowerCase()}, page ${index + 1}`;
      return image;
    }));
    status.textContent = answer.problems.length
      ? `Preview of the ${what}: ${answer.problems.join(" ")}`
      : `Preview of the ${what}, as it will print.`;
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(show, 400);
  }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  const button = document.getElementById("preview-button");
  button.hidden = false;
  button.addEventListener("click", show);
  show();
}

document.addEventListener("DOMContentLoaded", () => {
  const progress = document.getElementById("progress");
  if (progress && progress.dataset.finished === "no") followJob(progress);
  const preview = document.getElementById("preview");
  if (preview) livePreview(preview);
});
