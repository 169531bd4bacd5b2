"use strict";
// Builds the catalogue from the JSON data block. Everything the server sent is untrusted
// text: it only ever reaches the page through text nodes and plain attribute values.
(function () {
  const data = JSON.parse(document.getElementById("catalog-data").textContent);
  const root = document.getElementById("catalog");
  const MAX_DEPTH = 6;
  const ANNOTATIONS = {
    readOnlyHint: "read-only",
    destructiveHint: "destructive",
    idempotentHint: "idempotent",
    openWorldHint: "open world",
  };
  let lastId = 0;
  let lastRequest = 0;

  // -- DOM helpers ------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  const newId = (prefix) => `${prefix}-${++lastId}`;
  const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
  const pretty = (value) => JSON.stringify(value, null, 2);
  const text = (value) => (typeof value === "string" ? value : "");
  const listOf = (value) => (Array.isArray(value) ? value.filter(isObject) : []);

  // -- JSON Schema reading ----------------------------------------------------------------

  function resolve(schema, top) {
    let current = isObject(schema) ? schema : {};
    for (let hops = 0; hops < 32; hops++) {
      if (Array.isArray(current.allOf) && current.allOf.length === 1 && !current.properties) {
        const { allOf, ...rest } = current;
        current = { ...resolve(allOf[0], top), ...rest };
        continue;
      }
      const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(text(current.$ref));
      const target = match && isObject(top[match[1]]) ? top[match[1]][match[2]] : undefined;
      if (!isObject(target)) return current;
      const { $ref, ...rest } = current;
      current = { ...target, ...rest };
    }
    return current;
  }

  // `X | None` is a schema for X that may also be null.
  function unwrap(schema, top) {
    const resolved = resolve(schema, top);
    const branches = resolved.anyOf || resolved.oneOf;
    if (!Array.isArray(branches)) return { schema: resolved, nullable: false };
    const kept = branches.filter((branch) => resolve(branch, top).type !== "null");
    if (kept.length !== 1 || kept.length === branches.length) {
      return { schema: resolved, nullable: false };
    }
    const { anyOf, oneOf, ...outer } = resolved;
    return { schema: { ...resolve(kept[0], top), ...outer }, nullable: true };
  }

  function typeLabel(schema, top, depth = 0) {
    const s = resolve(schema, top);
    if (depth > MAX_DEPTH) return "…";
    if (Array.isArray(s.enum)) return "one of " + s.enum.map((v) => JSON.stringify(v)).join(", ");
    if ("const" in s) return JSON.stringify(s.const);
    const branches = s.anyOf || s.oneOf;
    if (Array.isArray(branches)) return branches.map((b) => typeLabel(b, top, depth + 1)).join(" or ");
    if (Array.isArray(s.type)) return s.type.join(" or ");
    if (s.type === "array") return "array of " + typeLabel(s.items, top, depth + 1);
    if (s.type === "string" && s.format) return `string (${s.format})`;
    return typeof s.type === "string" ? s.type : "any";
  }

  function limits(s) {
    const parts = [];
    const named = [
      ["minimum", "≥ "], ["maximum", "≤ "], ["exclusiveMinimum", "> "], ["exclusiveMaximum", "< "],
      ["minLength", "min length "], ["maxLength", "max length "],
      ["minItems", "min items "], ["maxItems", "max items "], ["pattern", "pattern "],
    ];
    for (const [key, label] of named) if (key in s) parts.push(label + String(s[key]));
    if ("default" in s) parts.push("default " + JSON.stringify(s.default));
    return parts.join(", ");
  }

  function schemaRows(schema, top, prefix, depth, rows) {
    const s = resolve(schema, top);
    const required = new Set(Array.isArray(s.required) ? s.required : []);
    for (const [name, property] of Object.entries(isObject(s.properties) ? s.properties : {})) {
      const { schema: field, nullable } = unwrap(property, top);
      const path = prefix ? `${prefix}.${name}` : name;
      const type = typeLabel(field, top) + (nullable ? " or null" : "");
      rows.push([path, type, required.has(name), text(field.description), limits(field)]);
      if (depth >= MAX_DEPTH) continue;
      const items = field.type === "array" ? resolve(field.items, top) : null;
      if (isObject(field.properties)) schemaRows(field, top, path, depth + 1, rows);
      else if (items && isObject(items.properties)) schemaRows(items, top, path + "[]", depth + 1, rows);
    }
    return rows;
  }

  function schemaTable(caption, schema) {
    const rows = schemaRows(schema, schema, "", 0, []);
    if (rows.length === 0) {
      const type = typeLabel(schema, schema);
      return el("p", { class: "muted" }, `${caption}: ${type === "object" ? "no fields" : type}.`);
    }
    const head = el("tr", {}, ["Field", "Type", "Required", "Description"].map((h) => el("th", { scope: "col" }, h)));
    const body = rows.map(([path, type, required, description, extra]) =>
      el("tr", {},
        el("th", { scope: "row" }, el("code", {}, path)),
        el("td", {}, type),
        el("td", {}, required ? "yes" : "no"),
        el("td", {}, description, extra ? el("span", { class: "muted" }, (description ? " — " : "") + extra) : null)));
    return el("div", { class: "table-wrap" },
      el("table", {}, el("caption", {}, caption), el("thead", {}, head), el("tbody", {}, body)));
  }

  // -- Forms built from input schemas -----------------------------------------------------

  class InputProblem extends Error {
    constructor(control, message) {
      super(message);
      this.control = control;
    }
  }

  function labelled(name, schema, required, control, hintText) {
    const hintId = newId("hint");
    control.setAttribute("aria-describedby", hintId);
    if (required) control.setAttribute("aria-required", "true");
    const label = el("label", { for: control.id }, el("code", {}, name),
      required ? el("span", { class: "required" }, " (required)") : null);
    const hint = el("small", { id: hintId, class: "hint" }, hintText);
    return el("div", { class: "field" }, label, control, hint);
  }

  function hintFor(schema, top, nullable) {
    const parts = [typeLabel(schema, top) + (nullable ? " or null" : "")];
    if (schema.description) parts.push(text(schema.description));
    const extra = limits(schema);
    if (extra) parts.push(extra);
    return parts.join(" — ");
  }

  function buildField(name, property, required, top, depth) {
    const { schema, nullable } = unwrap(property, top);
    const hint = hintFor(schema, top, nullable);
    const choices = Array.isArray(schema.enum) ? schema.enum : "const" in schema ? [schema.const] : null;
    if (choices) return selectField(name, schema, required, choices, hint);
    if (schema.type === "boolean") {
      if (required || typeof schema.default === "boolean") return checkboxField(name, schema, required, hint);
      return selectField(name, schema, required, [true, false], hint);
    }
    if (schema.type === "integer" || schema.type === "number") return numberField(name, schema, required, hint);
    if (schema.type === "string") return textField(name, schema, required, hint);
    if (isObject(schema.properties) && depth < MAX_DEPTH) return objectField(name, schema, required, top, depth);
    return jsonField(name, schema, required, hint);
  }

  function selectField(name, schema, required, choices, hint) {
    const select = el("select", { id: newId("field"), name },
      el("option", { value: "" }, "— not set —"),
      choices.map((choice, index) => el("option", { value: String(index) }, typeof choice === "string" ? choice : JSON.stringify(choice))));
    const preset = choices.findIndex((choice) => JSON.stringify(choice) === JSON.stringify(schema.default));
    if (preset >= 0) select.value = String(preset);
    return {
      name,
      node: labelled(name, schema, required, select, hint),
      read: () => (select.value === "" ? { present: false } : { present: true, value: choices[Number(select.value)] }),
    };
  }

  function checkboxField(name, schema, required, hint) {
    const box = el("input", { id: newId("field"), name, type: "checkbox" });
    box.checked = schema.default === true;
    return { name, node: labelled(name, schema, required, box, hint), read: () => ({ present: true, value: box.checked }) };
  }

  function numberField(name, schema, required, hint) {
    const step = schema.type === "integer" ? "1" : "any";
    const input = el("input", { id: newId("field"), name, type: "number", step, min: schema.minimum, max: schema.maximum, inputmode: "decimal" });
    if (typeof schema.default === "number") input.value = String(schema.default);
    return {
      name,
      node: labelled(name, schema, required, input, hint),
      read: () => {
        if (input.value === "") {
          if (input.validity.badInput) throw new InputProblem(input, `${name}: not a number`);
          return { present: false };
        }
        return { present: true, value: Number(input.value) };
      },
    };
  }

  function textField(name, schema, required, hint) {
    const long = typeof schema.maxLength !== "number" || schema.maxLength > 200;
    const multiline = long && /text|body|content|markdown|description/i.test(name);
    const input = multiline
      ? el("textarea", { id: newId("field"), name, rows: 3 })
      : el("input", { id: newId("field"), name, type: "text", placeholder: schema.format || (Array.isArray(schema.examples) ? schema.examples[0] : undefined), autocomplete: "off", spellcheck: "false" });
    if (typeof schema.default === "string") input.value = schema.default;
    return {
      name,
      node: labelled(name, schema, required, input, hint),
      read: () => (input.value === "" ? { present: false } : { present: true, value: input.value }),
    };
  }

  function jsonField(name, schema, required, hint) {
    const area = el("textarea", { id: newId("field"), name, rows: 3, class: "json", spellcheck: "false", placeholder: schema.type === "array" ? "[ ]  (JSON)" : "JSON" });
    if ("default" in schema && schema.default !== null) area.value = JSON.stringify(schema.default);
    return {
      name,
      node: labelled(name, schema, required, area, hint + " — JSON"),
      read: () => {
        if (area.value.trim() === "") return { present: false };
        try {
          return { present: true, value: JSON.parse(area.value) };
        } catch (error) {
          throw new InputProblem(area, `${name}: not valid JSON (${error.message})`);
        }
      },
    };
  }

  function objectFields(schema, top, depth) {
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    return Object.entries(isObject(schema.properties) ? schema.properties : {})
      .map(([name, property]) => buildField(name, property, required.has(name), top, depth + 1));
  }

  function readObject(fields) {
    const value = {};
    let present = false;
    for (const field of fields) {
      const result = field.read();
      if (result.present) {
        value[field.name] = result.value;
        present = true;
      }
    }
    return { present, value };
  }

  function objectField(name, schema, required, top, depth) {
    const fields = objectFields(schema, top, depth);
    const legend = el("legend", {}, el("code", {}, name), required ? el("span", { class: "required" }, " (required)") : null);
    const about = schema.description ? el("small", { class: "hint" }, text(schema.description)) : null;
    return {
      name,
      node: el("fieldset", {}, legend, about, fields.map((field) => field.node)),
      read: () => {
        const result = readObject(fields);
        return { present: result.present || required, value: result.value };
      },
    };
  }

  // -- Talking to the endpoint ------------------------------------------------------------

  async function rpc(method, params) {
    const id = ++lastRequest;
    let response;
    try {
      response = await fetch(data.endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          "MCP-Protocol-Version": data.protocolVersion,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
      });
    } catch (error) {
      return { failure: `The request did not reach the server: ${error.message}`, notes: [] };
    }
    const body = await response.text();
    const type = response.headers.get("content-type") || "";
    const notes = [];
    let message = null;
    if (type.startsWith("text/event-stream")) {
      for (const event of body.split(/\r?\n\r?\n/)) {
        const payload = event.split(/\r?\n/).filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, "")).join("\n");
        let parsed = null;
        try { parsed = payload ? JSON.parse(payload) : null; } catch (error) { parsed = null; }
        if (isObject(parsed) && parsed.id === id) message = parsed;
        else if (isObject(parsed) && parsed.method) notes.push(parsed);
      }
    } else if (type.startsWith("application/json")) {
      try { message = JSON.parse(body); } catch (error) { message = null; }
    }
    if (!isObject(message)) return { failure: `HTTP ${response.status}: ${body.slice(0, 500)}`, notes };
    return { message, notes };
  }

  function imageOf(data64, mime) {
    if (typeof data64 !== "string" || !/^image\/[\w.+-]+$/.test(text(mime)) || !/^[A-Za-z0-9+/=\s]*$/.test(data64)) {
      return el("p", { class: "muted" }, "An image this page cannot show.");
    }
    const image = el("img", { alt: `Image (${mime})` });
    image.src = `data:${mime};base64,${data64}`;
    return image;
  }

  function resourceContents(contents) {
    if (!isObject(contents)) return el("pre", {}, pretty(contents));
    const head = el("p", { class: "uri" }, el("code", {}, text(contents.uri)), contents.mimeType ? ` · ${text(contents.mimeType)}` : "");
    if (typeof contents.text === "string") return el("div", { class: "resource" }, head, el("pre", {}, contents.text));
    if (typeof contents.blob === "string" && /^image\//.test(text(contents.mimeType))) {
      return el("div", { class: "resource" }, head, imageOf(contents.blob, contents.mimeType));
    }
    const size = Math.floor((text(contents.blob).length * 3) / 4);
    return el("div", { class: "resource" }, head, el("p", { class: "muted" }, `Binary contents, about ${size} bytes.`));
  }

  function contentBlock(block) {
    if (!isObject(block)) return el("pre", {}, pretty(block));
    if (block.type === "text") return el("pre", { class: "text" }, text(block.text));
    if (block.type === "image") return imageOf(block.data, block.mimeType);
    if (block.type === "resource") return resourceContents(block.resource);
    if (block.type === "resource_link") {
      return el("p", {}, "Resource link: ", el("code", {}, text(block.uri)), block.name ? ` (${text(block.name)})` : "");
    }
    if (block.type === "audio") return el("p", { class: "muted" }, `Audio (${text(block.mimeType)}).`);
    return el("pre", {}, pretty(block));
  }

  function noteList(notes) {
    if (notes.length === 0) return null;
    const items = notes.map((note) => {
      const params = isObject(note.params) ? note.params : {};
      const what = note.method === "notifications/message"
        ? `${text(params.level)}: ${typeof params.data === "string" ? params.data : JSON.stringify(params.data)}`
        : `${text(note.method)} ${JSON.stringify(params)}`;
      return el("li", {}, what);
    });
    return el("details", { class: "notes" }, el("summary", {}, `Notifications (${notes.length})`), el("ul", {}, items));
  }

  function showReply(out, request, reply, renderResult) {
    out.replaceChildren();
    const sent = el("details", { class: "sent" }, el("summary", {}, "Request sent"), el("pre", {}, pretty(request)));
    if (reply.failure) {
      out.append(el("p", { class: "error", role: "alert" }, reply.failure), sent);
      return;
    }
    const { message } = reply;
    if (isObject(message.error)) {
      const error = message.error;
      out.append(el("div", { class: "error", role: "alert" },
        el("p", {}, `Error ${error.code}: ${text(error.message)}`),
        "data" in error ? el("pre", {}, pretty(error.data)) : null));
    } else {
      out.append(...renderResult(isObject(message.result) ? message.result : {}));
    }
    const notes = noteList(reply.notes);
    if (notes) out.append(notes);
    out.append(sent);
  }

  function toolResult(result) {
    const parts = [];
    if (result.isError === true) {
      parts.push(el("p", { class: "error-title", role: "alert" }, "The tool answered with an error:"));
    } else {
      parts.push(el("p", { class: "ok-title" }, "Result"));
    }
    const blocks = listOf(result.content).map(contentBlock);
    parts.push(el("div", { class: result.isError === true ? "content error" : "content" }, blocks));
    if ("structuredContent" in result) {
      parts.push(el("p", { class: "label" }, "Structured content"), el("pre", { class: "structured" }, pretty(result.structuredContent)));
    }
    return parts;
  }

  function promptResult(result) {
    const parts = result.description ? [el("p", {}, text(result.description))] : [];
    for (const message of listOf(result.messages)) {
      parts.push(el("div", { class: "message" }, el("p", { class: "label" }, text(message.role)), contentBlock(message.content)));
    }
    return parts;
  }

  const readResult = (result) => listOf(result.contents).map(resourceContents);

  // -- The try-it panels ------------------------------------------------------------------

  function tryPanel(label, fields, send, renderResult) {
    const out = el("div", { class: "result", "aria-live": "polite" });
    const button = el("button", { type: "submit" }, label);
    const problem = el("p", { class: "error", role: "alert", hidden: true });
    const form = el("form", { class: "try", novalidate: true }, fields.map((f) => f.node), problem, button, out);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      problem.hidden = true;
      let request;
      try {
        request = send();
      } catch (error) {
        if (!(error instanceof InputProblem)) throw error;
        problem.textContent = error.message;
        problem.hidden = false;
        error.control.focus();
        return;
      }
      button.disabled = true;
      out.replaceChildren(el("p", { class: "muted" }, "Waiting for the server…"));
      try {
        showReply(out, request, await rpc(request.method, request.params), renderResult);
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  function toolPanel(tool) {
    const schema = isObject(tool.inputSchema) ? resolve(tool.inputSchema, tool.inputSchema) : {};
    const fields = objectFields(schema, tool.inputSchema || {}, -1);
    const send = () => ({ method: "tools/call", params: { name: tool.name, arguments: readObject(fields).value } });
    return tryPanel("Call tool", fields, send, toolResult);
  }

  function promptPanel(prompt) {
    const fields = listOf(prompt.arguments).map((argument) =>
      textField(text(argument.name), { description: argument.description }, argument.required === true, text(argument.description) || "string"));
    const send = () => {
      const args = {};
      for (const field of fields) {
        const result = field.read();
        if (result.present) args[field.name] = result.value;
      }
      return { method: "prompts/get", params: { name: prompt.name, arguments: args } };
    };
    return tryPanel("Get prompt", fields, send, promptResult);
  }

  function templatePanel(template) {
    const uriTemplate = text(template.uriTemplate);
    const expressions = [...uriTemplate.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
    if (!expressions.every((name) => /^[A-Za-z0-9_.]+$/.test(name))) {
      return el("p", { class: "muted" }, "This template uses URI template operators; read it from an MCP client.");
    }
    const fields = [...new Set(expressions)].map((name) => textField(name, {}, true, "URI variable"));
    const send = () => {
      const values = Object.fromEntries(fields.map((field) => [field.name, field.read().value || ""]));
      const uri = uriTemplate.replace(/\{([^}]*)\}/g, (_, name) => encodeURIComponent(values[name]));
      return { method: "resources/read", params: { uri } };
    };
    return tryPanel("Read resource", fields, send, readResult);
  }

  // -- Items and sections -----------------------------------------------------------------

  function scopeNote(kind, key) {
    const scopes = isObject(data.scopes) && isObject(data.scopes[kind]) ? data.scopes[kind][key] : null;
    if (!Array.isArray(scopes) || scopes.length === 0) return null;
    return el("p", { class: "scopes" }, scopes.length === 1 ? "Requires scope " : "Requires scopes ",
      scopes.map((scope, i) => [i ? ", " : "", el("code", {}, String(scope))]));
  }

  function annotationList(annotations) {
    if (!isObject(annotations)) return null;
    const badges = Object.entries(annotations).filter(([key]) => key !== "title").map(([key, value]) => {
      const label = ANNOTATIONS[key];
      if (label && typeof value === "boolean") return el("li", { class: value ? "badge on" : "badge" }, value ? label : `not ${label}`);
      return el("li", { class: "badge" }, `${key}: ${JSON.stringify(value)}`);
    });
    return badges.length ? el("ul", { class: "badges", "aria-label": "Annotations" }, badges) : null;
  }

  function card(kind, index, key, item, body) {
    const headingId = `${kind}-${index}-name`;
    const title = text(item.title) || (isObject(item.annotations) ? text(item.annotations.title) : "");
    const heading = el("h3", { id: headingId }, el("code", {}, key), title && title !== key ? el("span", { class: "title" }, ` ${title}`) : null);
    const article = el("article", { class: "item", id: `${kind}-${index}`, "aria-labelledby": headingId },
      heading, scopeNote(kind, key),
      item.description ? el("p", { class: "description" }, text(item.description)) : null, body);
    article.dataset.search = [key, title, text(item.description)].join(" ").toLowerCase();
    return article;
  }

  function tool(item, index) {
    const name = text(item.name);
    const schemas = [el("details", {}, el("summary", {}, "Input schema"), schemaTable("Input", item.inputSchema || {}))];
    if (isObject(item.outputSchema)) {
      schemas.push(el("details", {}, el("summary", {}, "Output schema"), schemaTable("Output", item.outputSchema)));
    }
    return card("tools", index, name, item, [annotationList(item.annotations), schemas, el("h4", {}, "Try it"), toolPanel(item)]);
  }

  function prompt(item, index) {
    return card("prompts", index, text(item.name), item, [el("h4", {}, "Try it"), promptPanel(item)]);
  }

  function resource(item, index) {
    const about = el("p", { class: "muted" }, el("code", {}, text(item.uri)), item.mimeType ? ` · ${text(item.mimeType)}` : "", typeof item.size === "number" ? ` · ${item.size} bytes` : "");
    const send = () => ({ method: "resources/read", params: { uri: item.uri } });
    return card("resources", index, text(item.uri), { ...item, title: item.title || item.name }, [about, tryPanel("Read resource", [], send, readResult)]);
  }

  function template(item, index) {
    const about = el("p", { class: "muted" }, item.mimeType ? text(item.mimeType) : "");
    return card("resourceTemplates", index, text(item.uriTemplate), { ...item, title: item.title || item.name }, [about, templatePanel(item)]);
  }

  const SECTIONS = [
    ["tools", "Tools", tool, "No tools are visible to you."],
    ["prompts", "Prompts", prompt, "No prompts are visible to you."],
    ["resources", "Resources", resource, null],
    ["resourceTemplates", "Resource templates", template, null],
  ];

  const navName = (item) => text(item.name) || text(item.uri) || text(item.uriTemplate);

  function build() {
    const info = isObject(data.server) ? data.server : {};
    const meta = [`${text(info.name)} ${text(info.version)}`.trim(), `endpoint ${data.endpoint}`, `protocol ${data.protocolVersion}`];
    document.getElementById("server-meta").textContent = meta.join(" · ");
    const navItems = [];
    const sections = [];
    for (const [kind, heading, render, empty] of SECTIONS) {
      const items = listOf(data[kind]);
      if (items.length === 0 && !empty) continue;
      const links = items.map((item, index) => el("li", {}, el("a", { href: `#${kind}-${index}` }, navName(item))));
      navItems.push(el("li", {}, el("a", { href: `#${kind}` }, `${heading} (${items.length})`), links.length ? el("ul", {}, links) : null));
      const cards = items.length ? items.map(render) : [el("p", { class: "muted" }, empty)];
      sections.push(el("section", { id: kind, "aria-labelledby": `${kind}-heading` }, el("h2", { id: `${kind}-heading` }, heading), cards));
    }
    const filter = el("input", { id: "filter", type: "search", placeholder: "name or words of the description", autocomplete: "off" });
    filter.addEventListener("input", () => {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const article of root.querySelectorAll("article.item")) {
        article.hidden = !words.every((word) => article.dataset.search.includes(word));
      }
    });
    const intro = data.instructions ? el("p", { class: "instructions" }, text(data.instructions)) : null;
    const nav = el("nav", { "aria-label": "Contents" }, el("ul", {}, navItems),
      el("label", { for: "filter" }, "Filter"), filter);
    root.replaceChildren(nav, el("main", {}, intro, sections));
  }

  build();
})();
