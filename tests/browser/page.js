'use strict';
/*
 * The customer page in headless Chromium, run by page.sh against a real nginx +
 * coupon-fcgi + MariaDB. Each step types into the page like a customer, looks
 * at what the page shows, and checks in the database that exactly the expected
 * redemptions happened. Screenshots go to $ARTIFACTS; their paths are printed.
 *
 * Environment (from page.sh): BASE, ALT_BASE (the same server under another
 * origin), CODES (normalised, space separated), PREFIX, CAMPAIGN, DB, FCGI_PID,
 * ARTIFACTS, CHROMIUM, COUPON_TEST_CONFIG.
 */
const { chromium } = require('playwright-core');
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const env = process.env;
const BASE = env.BASE;
const codes = env.CODES.trim().split(/\s+/);
const prefix = env.PREFIX;
const campaign = env.CAMPAIGN;
const refusal = 'This code cannot be redeemed. Check it and try again.';

let checks = 0;
let failed = 0;

/* The line of the caller's caller: where the check is written. */
function callerLine() {
	const m = new Error().stack.split('\n')[3].match(/:(\d+):\d+\)?$/);
	return m ? m[1] : '?';
}

function check(what, ok, detail) {
	checks++;
	if (ok)
		return true;
	failed++;
	console.error(`page.js:${callerLine()}: ${what}` + (detail !== undefined ?
		`: ${JSON.stringify(detail)}` : ''));
	return false;
}

function sqldb(q) {
	return execFileSync('mariadb', [`--defaults-file=${env.COUPON_TEST_CONFIG}`, '-N', '-B',
		'-D', env.DB, '-e', q], { encoding: 'utf8' }).trim();
}

/* Every code that is not available, with its state and user: the whole truth. */
function spent() {
	return sqldb("SELECT code, status, IFNULL(redeemed_by_user_id, '') FROM coupon_codes " +
		"WHERE status <> 'available' ORDER BY code");
}

/* The rows spent() must show, from the redemptions the test expects so far. */
const expected = new Map();
function expectSpent() {
	return [...expected.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))
		.map(([c, u]) => `${c}\tredeemed\t${u}`).join('\n');
}

/* SPRINGJW0FB4VM4 -> SPRING-JW0F-B4VM-4, as printed on a voucher. */
function display(code) {
	const body = code.slice(prefix.length).match(/.{1,4}/g);
	return [prefix, ...body].join('-');
}

/* What a customer might type: lower case, spaces for dashes. */
function sloppy(code) {
	return display(code).toLowerCase().replace(/-/g, ' ');
}

/* One symbol of the body mistyped: the check character must catch it. */
function typo(code) {
	const i = prefix.length + 1;
	const c = code[i] === '7' ? '8' : '7';
	return code.slice(0, i) + c + code.slice(i + 1);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let shot = 0;
async function screenshot(page, name) {
	const file = path.join(env.ARTIFACTS, `${String(++shot).padStart(2, '0')}-${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	console.log(`screenshot: ${file}`);
}

/* Forgets the shown result, so resultState() waits for the next one. */
async function forget(page) {
	await page.evaluate(() => document.getElementById('result').removeAttribute('data-state'));
}

async function resultState(page) {
	await page.waitForSelector('#result[data-state]', { timeout: 60000 });
	return page.evaluate(() => {
		const r = document.getElementById('result');
		return { state: r.dataset.state, text: r.textContent.replace(/\s+/g, ' ').trim() };
	});
}

async function fill(page, code, user) {
	await page.fill('#code', code);
	await page.fill('#user', user);
}

/* JavaScript off: submits and waits for coupon-fcgi's page (or nginx's). */
async function postPlain(page, code, user) {
	await fill(page, code, user);
	const [resp] = await Promise.all([
		page.waitForResponse((r) => r.url().endsWith('/redeem') && r.request().method() === 'POST'),
		page.click('#submit'),
	]);
	await page.waitForLoadState('load');
	const h1 = (await page.textContent('h1')).trim();
	const text = (await page.textContent('.result p')).replace(/\s+/g, ' ').trim();
	return { status: resp.status(), h1, text };
}

/* The answer page uses the page's style sheet (the CSP allows it). */
async function styled(page) {
	return page.evaluate(() => {
		const card = document.querySelector('.card');
		return getComputedStyle(document.body).backgroundColor === 'rgb(238, 241, 245)' &&
			card !== null && getComputedStyle(card).borderRadius === '12px';
	});
}

async function noOverflow(page) {
	return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

/* WCAG contrast of each element's text against its effective background. */
async function contrasts(page, selectors) {
	return page.evaluate((sels) => {
		function rgb(s) {
			const m = s.match(/[\d.]+/g).map(Number);
			return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 };
		}
		function lum(c) {
			const f = (v) => {
				v /= 255;
				return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
			};
			return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
		}
		function background(el) {
			for (; el; el = el.parentElement) {
				const c = rgb(getComputedStyle(el).backgroundColor);
				if (c.a > 0)
					return c;
			}
			return { r: 255, g: 255, b: 255, a: 1 };
		}
		return sels.map((s) => {
			const el = document.querySelector(s);
			if (!el)
				return { s, ratio: 0 };
			const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
			return { s, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
		});
	}, selectors);
}

const launchArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking', '--disable-component-update',
	'--disable-sync',
	/* ALT_BASE's localhost: the address nginx listens on, not ::1 first. */
	'--host-resolver-rules=MAP localhost 127.0.0.1'];

async function main() {
	/* Playwright gives every launch a fresh, empty --user-data-dir of its own (in TMPDIR). */
	const browser = await chromium.launch({
		executablePath: env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: launchArgs,
	});
	const desktop = { viewport: { width: 1280, height: 860 } };
	const phone = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true,
		hasTouch: true };
	try {
		await withJs(browser, desktop);
		await withoutJs(browser, desktop);
		await narrow(browser, phone);
		await crossSite(browser, desktop);
		await rateLimited(browser, desktop);
		await unavailable(browser, desktop, phone);
	} finally {
		await browser.close();
	}
	check('exactly the expected redemptions, nothing else', spent() === expectSpent(),
		{ got: spent(), want: expectSpent() });
}

/* The page itself: labels, hints, live region, focus, contrast. */
async function structure(page) {
	const a11y = await page.evaluate(() => {
		const out = {};
		out.lang = document.documentElement.lang;
		out.h1 = document.querySelectorAll('h1').length;
		out.fields = ['code', 'user'].map((id) => {
			const el = document.getElementById(id);
			const hint = document.getElementById(el.getAttribute('aria-describedby'));
			return { id, labels: el.labels.length, label: el.labels[0].textContent.trim(),
				required: el.required, hint: hint !== null && hint.textContent.trim() !== '' };
		});
		const r = document.getElementById('result');
		out.live = [r.getAttribute('role'), r.getAttribute('aria-live')];
		out.form = [document.forms[0].getAttribute('action'), document.forms[0].method];
		return out;
	});
	check('the page has a language', a11y.lang === 'en', a11y.lang);
	check('one h1', a11y.h1 === 1, a11y.h1);
	for (const f of a11y.fields)
		check(`#${f.id} has one label, is required and has a hint`,
			f.labels === 1 && f.label !== '' && f.required && f.hint, f);
	check('results go to a polite live region', a11y.live[0] === 'status' &&
		a11y.live[1] === 'polite', a11y.live);
	check('the form posts to /redeem without JavaScript', a11y.form[0] === '/redeem' &&
		a11y.form[1] === 'post', a11y.form);
	/* Keyboard: the first Tab lands in the code field, with a visible focus ring. */
	await page.keyboard.press('Tab');
	const focus = await page.evaluate(() => {
		const el = document.activeElement;
		const cs = getComputedStyle(el);
		return { id: el.id, outline: cs.outlineStyle, width: parseFloat(cs.outlineWidth) };
	});
	check('Tab focuses the code field first', focus.id === 'code', focus);
	check('the focus is visible', focus.outline !== 'none' && focus.width >= 2, focus);
	const rows = [
		['h1', 4.5], ['.lead', 4.5], ['label[for=code]', 4.5], ['#code-hint', 4.5],
		['#submit', 4.5], ['.foot', 4.5],
	];
	const got = await contrasts(page, rows.map((r) => r[0]));
	rows.forEach(([sel, min], i) =>
		check(`contrast of ${sel} at least ${min}:1`, got[i].ratio >= min, got[i]));
}

async function withJs(browser, opts) {
	const ctx = await browser.newContext(opts);
	const page = await ctx.newPage();
	await page.goto(BASE + '/');
	await structure(page);
	await page.evaluate(() => document.activeElement.blur());
	await screenshot(page, 'desktop-empty');

	/* A valid code in lower case with spaces; the request held back until the checks
	 * of the in-flight state are done, however long they take. */
	let posts = 0;
	let release;
	const held = new Promise((resolve) => { release = resolve; });
	page.on('request', (r) => {
		if (r.url().endsWith('/redeem') && r.method() === 'POST')
			posts++;
	});
	await page.route('**/redeem', async (route) => {
		await held;
		await route.continue();
	});
	await page.evaluate(() => { window.stillHere = true; });
	await fill(page, sloppy(codes[1]), 'alice@example.com');
	await page.click('#submit');
	const inFlight = await page.evaluate(() => {
		const b = document.getElementById('submit');
		return { disabled: b.disabled, busy: document.forms[0].getAttribute('aria-busy'),
			label: b.textContent.trim() };
	});
	check('the button is disabled while the request is in flight', inFlight.disabled, inFlight);
	check('the form is marked busy', inFlight.busy === 'true', inFlight);
	await screenshot(page, 'desktop-in-flight');
	/* A second submit while in flight (Enter, a script, a double tap) sends nothing. */
	await page.evaluate(() => document.forms[0].requestSubmit());
	await page.locator('#submit').click({ force: true, timeout: 1000 }).catch(() => {});
	release();
	let r = await resultState(page);
	await sleep(300);
	check('one request for a double submit', posts === 1, posts);
	check('redeemed (JS)', r.state === 'ok', r);
	check('the result names the campaign', r.text.includes(`redeemed for ${campaign}.`), r.text);
	check('the result shows the code as printed', r.text.includes(`code ${display(codes[1])} has`),
	      r.text);
	check('no reload', page.url() === BASE + '/' &&
		await page.evaluate(() => window.stillHere === true), page.url());
	check('the result is in the live region', (await page.getByRole('status').textContent())
		.includes('Code redeemed'));
	check('the button is enabled again', !(await page.isDisabled('#submit')));
	check('the code field is emptied for the next code', await page.inputValue('#code') === '');
	expected.set(codes[1], 'alice@example.com');
	check('DB: redeemed once, by alice', spent() === expectSpent(), spent());
	await screenshot(page, 'desktop-js-redeemed');
	await page.unroute('**/redeem');

	/* The same code again, as printed: the one refusal. */
	await fill(page, display(codes[1]), 'bob@example.com');
	await forget(page);
	await page.click('#submit');
	r = await resultState(page);
	check('redeemed again: refused', r.state === 'no' && r.text.includes(refusal), r);
	check('DB: still alice\'s, nothing else', spent() === expectSpent(), spent());
	await screenshot(page, 'desktop-js-refused');

	/* A typo: the check character catches it, the same refusal. */
	await fill(page, display(typo(codes[2])).toLowerCase(), 'bob@example.com');
	await forget(page);
	await page.click('#submit');
	r = await resultState(page);
	check('typo: refused', r.state === 'no' && r.text.includes(refusal), r);
	check('DB: the typo redeemed nothing', spent() === expectSpent(), spent());
	check('the refusal keeps the input for correction', await page.inputValue('#code') !== '');
	await ctx.close();
}

async function withoutJs(browser, opts) {
	const ctx = await browser.newContext({ ...opts, javaScriptEnabled: false });
	const page = await ctx.newPage();
	await page.goto(BASE + '/');
	let r = await postPlain(page, sloppy(codes[3]), 'carol@example.com');
	check('no JS: 200', r.status === 200, r);
	check('no JS: the page says redeemed', r.h1 === 'Code redeemed', r);
	check('no JS: campaign and code named',
		r.text === `Your code ${display(codes[3])} has been redeemed for ${campaign}.`, r.text);
	check('no JS: the answer page is styled', await styled(page));
	check('no JS: the answer is coupon-fcgi\'s page', page.url() === BASE + '/redeem', page.url());
	const title = await page.title();
	check('no JS: the title carries the result', title.startsWith('Code redeemed'), title);
	expected.set(codes[3], 'carol@example.com');
	check('DB: redeemed by carol', spent() === expectSpent(), spent());
	await screenshot(page, 'desktop-nojs-redeemed');

	await page.click('a.button');
	check('the answer page leads back to the form', page.url() === BASE + '/', page.url());
	r = await postPlain(page, sloppy(codes[3]), 'dave@example.com');
	check('no JS, again: refused', r.status === 400 && r.h1 === 'Code not redeemed' &&
		r.text === refusal, r);
	await screenshot(page, 'desktop-nojs-refused');
	await page.goto(BASE + '/');
	r = await postPlain(page, display(typo(codes[4])), 'dave@example.com');
	check('no JS, typo: the same refusal', r.status === 400 && r.text === refusal, r);
	check('DB: nothing more redeemed', spent() === expectSpent(), spent());
	await ctx.close();
}

/* 360 px wide: nothing scrolls sideways, the controls are big enough to tap. */
async function narrow(browser, opts) {
	let ctx = await browser.newContext(opts);
	let page = await ctx.newPage();
	await page.goto(BASE + '/');
	check('360 px: no horizontal scrolling', await noOverflow(page));
	const boxes = await page.evaluate(() => ['code', 'user', 'submit'].map((id) => {
		const b = document.getElementById(id).getBoundingClientRect();
		return { id, left: b.left, right: b.right, height: b.height };
	}));
	for (const b of boxes)
		check(`360 px: #${b.id} fits and is at least 44 px tall`,
			b.left >= 0 && b.right <= 360 && b.height >= 44, b);
	await screenshot(page, 'phone-empty');
	await page.tap('#code');
	await fill(page, `  ${sloppy(codes[5])} `, 'dave@example.com');
	await forget(page);
	await page.tap('#submit');
	const r = await resultState(page);
	check('360 px: redeemed', r.state === 'ok', r);
	check('360 px: still no horizontal scrolling', await noOverflow(page));
	expected.set(codes[5], 'dave@example.com');
	check('DB: redeemed by dave', spent() === expectSpent(), spent());
	await screenshot(page, 'phone-js-redeemed');
	/* Dave again (a retry after a lost reply): his success, not a second redemption. */
	await fill(page, sloppy(codes[5]), 'dave@example.com');
	await forget(page);
	await page.tap('#submit');
	let again = await resultState(page);
	check('360 px, the same user again: the original success', again.state === 'ok', again);
	await fill(page, sloppy(codes[5]), 'eve@example.com');
	await forget(page);
	await page.tap('#submit');
	again = await resultState(page);
	check('360 px, someone else: refused', again.state === 'no' &&
		again.text.includes(refusal), again);
	check('DB: still dave\'s, once', spent() === expectSpent(), spent());
	await screenshot(page, 'phone-js-refused');
	await ctx.close();

	ctx = await browser.newContext({ ...opts, javaScriptEnabled: false });
	page = await ctx.newPage();
	await page.goto(BASE + '/');
	const p = await postPlain(page, display(codes[6]).toLowerCase(), 'erin@example.com');
	check('360 px, no JS: redeemed', p.status === 200 && p.h1 === 'Code redeemed', p);
	check('360 px, no JS: no horizontal scrolling', await noOverflow(page));
	expected.set(codes[6], 'erin@example.com');
	check('DB: redeemed by erin', spent() === expectSpent(), spent());
	await screenshot(page, 'phone-nojs-redeemed');
	await ctx.close();
}

/*
 * The same page served under another origin (localhost instead of 127.0.0.1)
 * stands in for a foreign site: its posts carry the wrong Origin and are refused.
 */
async function crossSite(browser, opts) {
	let ctx = await browser.newContext({ ...opts, javaScriptEnabled: false });
	let page = await ctx.newPage();
	await page.goto(env.ALT_BASE + '/');
	const p = await postPlain(page, sloppy(codes[0]), 'mallory@example.com');
	check('cross-site, no JS: 403 with a page', p.status === 403 &&
		p.h1 === 'Code not redeemed' && p.text.includes('our own page'), p);
	await screenshot(page, 'desktop-nojs-cross-site');
	await ctx.close();

	ctx = await browser.newContext(opts);
	page = await ctx.newPage();
	await page.goto(env.ALT_BASE + '/');
	await fill(page, sloppy(codes[0]), 'mallory@example.com');
	await forget(page);
	await page.click('#submit');
	const r = await resultState(page);
	check('cross-site, JS: refused', r.state === 'no' && r.text.includes('Reload'), r);
	check('DB: cross-site posts redeemed nothing', spent() === expectSpent(), spent());
	await ctx.close();
}

/* Failed lookups past the limit (rate-limit=5 a minute): "too many attempts". */
async function rateLimited(browser, opts) {
	let ctx = await browser.newContext(opts);
	let page = await ctx.newPage();
	await page.goto(BASE + '/');
	let r = null;
	for (let i = 0; i < 8; i++) {
		await fill(page, display(typo(codes[7])), 'frank@example.com');
		await forget(page);
		await page.click('#submit');
		r = await resultState(page);
		if (r.state === 'wait')
			break;
	}
	check('too many typos: rate limited', r.state === 'wait', r);
	const m = r.text.match(/wait (\d+) seconds?/);
	check('the page says how long to wait', m !== null && +m[1] > 0 && +m[1] <= 120, r.text);
	const btn = await page.evaluate(() => {
		const b = document.getElementById('submit');
		return { disabled: b.disabled, label: b.textContent.trim() };
	});
	check('the button counts down until then', btn.disabled && /^Try again in \d+ s$/.test(btn.label),
		btn);
	await screenshot(page, 'desktop-js-rate-limited');
	await ctx.close();

	ctx = await browser.newContext({ ...opts, javaScriptEnabled: false });
	page = await ctx.newPage();
	await page.goto(BASE + '/');
	const p = await postPlain(page, display(codes[7]), 'frank@example.com');
	check('no JS, limited: 429 page', p.status === 429 && p.h1 === 'Too many attempts', p);
	check('no JS, limited: how long to wait', /^Please wait \d+ seconds?, then try again\.$/
		.test(p.text), p.text);
	check('DB: a good code while limited redeemed nothing', spent() === expectSpent(), spent());
	await screenshot(page, 'desktop-nojs-rate-limited');
	await ctx.close();
}

/* coupon-fcgi stopped: nginx answers, the page says the service is unavailable. */
async function unavailable(browser, desktop, phone) {
	process.kill(Number(env.FCGI_PID), 'SIGTERM');
	let down = false;
	for (let i = 0; i < 600 && !down; i++) {
		const res = await fetch(BASE + '/healthz').catch(() => null);
		down = res !== null && res.status >= 502;
		if (!down)
			await sleep(100);
	}
	check('coupon-fcgi stopped', down);
	let ctx = await browser.newContext(desktop);
	let page = await ctx.newPage();
	await page.goto(BASE + '/');
	await fill(page, sloppy(codes[8]), 'grace@example.com');
	await forget(page);
	await page.click('#submit');
	const r = await resultState(page);
	check('JS: service unavailable', r.state === 'down', r);
	check('JS: the button works again', !(await page.isDisabled('#submit')));
	await screenshot(page, 'desktop-js-unavailable');
	await ctx.close();

	ctx = await browser.newContext({ ...phone, javaScriptEnabled: false });
	page = await ctx.newPage();
	await page.goto(BASE + '/');
	const p = await postPlain(page, sloppy(codes[8]), 'grace@example.com');
	check('no JS: unavailable page', p.status >= 502 && p.h1 === 'Service unavailable', p);
	check('no JS: the unavailable page is styled', await styled(page));
	await screenshot(page, 'phone-nojs-unavailable');
	await ctx.close();
}

main().catch((e) => {
	check('no exception', false, String(e && e.stack || e));
}).finally(() => {
	console.log(`page.js: ${checks} checks, ${failed} failed`);
	process.exitCode = failed === 0 ? 0 : 1;
});
