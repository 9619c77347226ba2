// The gallery's filters and full-size viewer, inlined into output/index.html. No request
// leaves the page's folder: the viewer shows the preview PNG the thumbnail already loaded.
"use strict";
(() => {
  const byId = (id) => document.getElementById(id);
  const language = byId("filter-lang");
  const material = byId("filter-material");
  const failedOnly = byId("filter-failed");
  const documents = [...document.querySelectorAll("article.doc")];

  function applyFilters() {
    let shown = 0;
    for (const doc of documents) {
      const visible =
        (!language.value || doc.dataset.lang === language.value) &&
        (!material.value || doc.dataset.material === material.value) &&
        (!failedOnly.checked || doc.classList.contains("fail"));
      doc.hidden = !visible;
      shown += visible ? 1 : 0;
    }
    for (const section of document.querySelectorAll("section.language")) {
      const chosen = !language.value || section.dataset.lang === language.value;
      const filtered = material.value || failedOnly.checked;
      section.hidden = !chosen || (filtered && !section.querySelector("article.doc:not([hidden])"));
    }
    for (const row of document.querySelectorAll("#glance tbody tr")) {
      row.hidden = Boolean(language.value) && row.dataset.lang !== language.value;
    }
    byId("filter-count").textContent = `${shown} of ${documents.length} documents`;
    byId("no-match").hidden = shown > 0 || documents.length === 0;
  }
  for (const control of [language, material, failedOnly]) {
    control.addEventListener("change", applyFilters);
  }
  applyFilters(); // a reload keeps the browser's choice in the controls

  // A link to a document or language that the filters hide clears them first.
  document.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#"]');
    const target = link && byId(decodeURIComponent(link.hash.slice(1)));
    if (target && target.closest("[hidden]")) {
      language.value = material.value = "";
      failedOnly.checked = false;
      applyFilters();
    }
  });

  // The full-size view: the page's preview in a dialog; arrows step through the pages shown.
  const viewer = byId("viewer");
  const image = byId("viewer-image");
  let pages = [];
  let current = 0;

  function show(index) {
    current = (index + pages.length) % pages.length;
    const link = pages[current];
    const thumbnail = link.querySelector("img");
    const doc = link.closest("article.doc");
    image.classList.remove("actual");
    image.src = link.getAttribute("href");
    image.alt = thumbnail.alt;
    byId("viewer-caption").textContent = thumbnail.alt;
    byId("viewer-pdf").href = doc.querySelector("a.download").getAttribute("href");
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.page");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    pages = [...document.querySelectorAll("article.doc:not([hidden]) a.page")];
    show(pages.indexOf(link));
    viewer.showModal();
  });
  byId("viewer-previous").addEventListener("click", () => show(current - 1));
  byId("viewer-next").addEventListener("click", () => show(current + 1));
  byId("viewer-close").addEventListener("click", () => viewer.close());
  image.addEventListener("click", () => image.classList.toggle("actual"));
  viewer.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") show(current - 1);
    if (event.key === "ArrowRight") show(current + 1);
  });
  viewer.addEventListener("close", () => pages[current] && pages[current].focus());
})();
