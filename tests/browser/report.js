'use strict';
/*
 * couponadm report --html in headless Chromium, run by report.sh: JavaScript
 * off, every request but the page itself refused and recorded. The page must
 * show its three charts at their size, one bar per hour with redemptions, the
 * status breakdown and the series, and fit the window. A full-page screenshot
 * goes to $ARTIFACTS.
 *
 * Environment (from report.sh): PAGE (the file), ARTIFACTS, CHROMIUM, BARS (hours
 * with redemptions), CAMPAIGN.
 */
const { chromium } = require('playwright-core');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const env = process.env;
let checks = 0;
let failed = 0;

function check(what, ok, detail) {
	checks++;
	if (ok)
		return true;
	failed++;
	const m = new Error().stack.split('\n')[2].match(/:(\d+):\d+\)?$/);
	console.error(`report.js:${m ? m[1] : '?'}: ${what}` +
		(detail !== undefined ? `: ${JSON.stringify(detail)}` : ''));
	return false;
}

async function main() {
	const browser = await chromium.launch({
		executablePath: env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	try {
		const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 },
			javaScriptEnabled: false });
		const page = await ctx.newPage();
		const url = pathToFileURL(env.PAGE).href;
		const fetched = [];
		const errors = [];
		page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
		await page.route('**/*', (route) => {
			const u = route.request().url();
			if (u === url)
				return route.continue();
			fetched.push(u);
			return route.abort();
		});
		const resp = await page.goto(url);
		check('the page loads', resp === null || resp.ok());
		check('nothing else is fetched', fetched.length === 0, fetched);
		check('no console errors', errors.length === 0, errors);

		const shown = await page.evaluate(() => {
			const svgs = [...document.querySelectorAll('svg')].map((s) => {
				const r = s.getBoundingClientRect();
				return { w: r.width, h: r.height, label: s.getAttribute('aria-label') };
			});
			const activity = document.querySelector('svg[aria-label="activity per bucket"]');
			return {
				title: document.title,
				h1: document.querySelector('h1').textContent,
				svgs,
				bars: activity ? activity.querySelectorAll('rect').length : -1,
				lines: activity ? activity.querySelectorAll('polyline').length : -1,
				cumulative: document.querySelectorAll(
					'svg[aria-label="redeemed to date against codes issued"] polyline').length,
				status: document.querySelector('svg[aria-label="codes by status"]').textContent,
				// Each status label ends inside its chart (none cut off at the edge).
				clipped: [...document.querySelectorAll('svg[aria-label="codes by status"] text')]
					.filter((t) => t.getBBox().x + t.getBBox().width >
						t.ownerSVGElement.viewBox.baseVal.width)
					.map((t) => t.textContent),
				rows: document.querySelectorAll('details tr').length,
				overflow: document.documentElement.scrollWidth > window.innerWidth,
				meta: document.querySelector('.meta').textContent,
			};
		});
		check('the title names the campaign', shown.title.startsWith(env.CAMPAIGN), shown.title);
		check('the heading names the campaign', shown.h1 === env.CAMPAIGN, shown.h1);
		check('three charts', shown.svgs.length === 3, shown.svgs);
		check('each chart is drawn at its size',
			shown.svgs.every((s) => s.w >= 900 && s.h >= 80), shown.svgs);
		check('one bar per hour with redemptions', shown.bars === Number(env.BARS),
			{ bars: shown.bars, want: env.BARS });
		check('reservations and refunds as lines', shown.lines === 2, shown.lines);
		check('issued and redeemed to date as lines', shown.cumulative === 2, shown.cumulative);
		check('the status breakdown names each status',
			['available', 'pending', 'redeemed', 'expired', 'assigned'].every(
				(s) => shown.status.includes(s)), shown.status);
		check('every status label fits its chart', shown.clipped.length === 0, shown.clipped);
		check('the series as a table: 72 hours and a heading', shown.rows === 73, shown.rows);
		check('the zone is named', shown.meta.includes('Europe/Berlin'), shown.meta);
		check('no horizontal scrolling at 1280 px', !shown.overflow);

		const file = path.join(env.ARTIFACTS, 'report.png');
		await page.screenshot({ path: file, fullPage: true });
		console.log(`screenshot: ${file}`);
		await ctx.close();
	} finally {
		await browser.close();
	}
}

main().catch((e) => {
	check('no exception', false, String(e && e.stack || e));
}).finally(() => {
	console.log(`report.js: ${checks} checks, ${failed} failed`);
	process.exitCode = failed === 0 ? 0 : 1;
});
