/*
 * The customer page, enhanced: the form is sent with fetch() asking for JSON, the
 * result appears in the page's live region (screen readers announce it), and the
 * button is disabled while a request is in flight so a code is never sent twice
 * by a double click. Without this script the same form posts to /redeem and
 * coupon-fcgi answers with an HTML page, so nothing here is required.
 */
(function () {
	'use strict';

	var form = document.getElementById('redeem-form');
	var result = document.getElementById('result');

	if (!form || !result || !window.fetch || !window.URLSearchParams || !window.FormData)
		return;

	var button = document.getElementById('submit');
	var label = button.querySelector('.label');
	var idle = label.textContent;
	var codeInput = document.getElementById('code');
	var busy = false;
	var waitUntil = 0;
	var timer = null;

	/* The four result states; texts match the pages coupon-fcgi renders. */
	var refusal = 'This code cannot be redeemed. Check it and try again.';

	/* Builds the result box from text nodes only: server data is never parsed as HTML. */
	function show(state, title, parts) {
		var h = document.createElement('h2');
		var p = document.createElement('p');

		h.textContent = title;
		parts.forEach(function (part) {
			var node;

			if (typeof part === 'string') {
				node = document.createTextNode(part);
			} else {
				node = document.createElement('strong');
				node.textContent = part.text;
				if (part.cls)
					node.className = part.cls;
			}
			p.appendChild(node);
		});
		result.className = 'result ' + state;
		result.setAttribute('data-state', state);
		result.replaceChildren(h, p);
	}

	function seconds(n) {
		return n === 1 ? '1 second' : n + ' seconds';
	}

	function redeemed(json) {
		var campaign = json.campaign && json.campaign.name ? json.campaign.name : '';

		show('ok', 'Code redeemed', campaign ?
			['Your code ', {text: json.display || json.code, cls: 'code'}, ' has been redeemed for ',
			 {text: campaign}, '.'] :
			['Your code ', {text: json.display || json.code, cls: 'code'}, ' has been redeemed.']);
		codeInput.value = '';
	}

	function refused() {
		show('no', 'Code not redeemed', [refusal]);
	}

	function unavailable() {
		show('down', 'Service unavailable',
		     ['Codes cannot be redeemed right now. Please try again in a few minutes.']);
	}

	function setLabel(text) {
		label.textContent = text;
	}

	/* Counts down on the button; the live region announced the wait once. */
	function tick() {
		var left = Math.ceil((waitUntil - Date.now()) / 1000);

		if (left <= 0) {
			clearInterval(timer);
			timer = null;
			waitUntil = 0;
			button.disabled = false;
			setLabel(idle);
			return;
		}
		setLabel('Try again in ' + left + ' s');
	}

	function limited(retryAfter) {
		var secs = parseInt(retryAfter, 10);

		if (!(secs > 0 && secs < 86400))
			secs = 60;
		show('wait', 'Too many attempts',
		     ['Please wait ' + seconds(secs) + ', then try again.']);
		waitUntil = Date.now() + secs * 1000;
		button.disabled = true;
		tick();
		timer = setInterval(tick, 1000);
	}

	function answer(res, text) {
		var json = null;

		try {
			json = JSON.parse(text);
		} catch (e) {
			json = null;
		}
		if (res.status === 429)
			limited(res.headers.get('Retry-After'));
		else if (res.status >= 500 || json === null)
			unavailable();
		else if (res.ok && json.result === 'redeemed')
			redeemed(json);
		else if (res.status === 403)
			show('no', 'Code not redeemed',
			     ['This page could not send the form. Reload it and try again.']);
		else
			refused();
	}

	function setBusy(on) {
		var hadFocus = document.activeElement === button;

		busy = on;
		button.disabled = on || waitUntil > 0;
		button.classList.toggle('busy', on);
		form.setAttribute('aria-busy', on ? 'true' : 'false');
		if (on) {
			setLabel('Redeeming\u2026');
			button.setAttribute('data-had-focus', hadFocus ? '1' : '');
			return;
		}
		if (waitUntil === 0)
			setLabel(idle);
		/* A disabled button drops the focus: give it back to keyboard users. */
		if (button.getAttribute('data-had-focus') &&
		    (document.activeElement === null || document.activeElement === document.body))
			(button.disabled ? codeInput : button).focus();
	}

	form.addEventListener('submit', function (ev) {
		ev.preventDefault();
		if (busy || waitUntil > 0)
			return;
		setBusy(true);
		/* Emptied first, so the same answer twice is announced twice. */
		result.replaceChildren();
		result.className = 'result';
		result.removeAttribute('data-state');
		fetch(form.action, {
			method: 'POST',
			headers: {'Accept': 'application/json'},
			body: new URLSearchParams(new FormData(form)),
			credentials: 'same-origin',
			cache: 'no-store'
		}).then(function (res) {
			return res.text().then(function (text) {
				answer(res, text);
			});
		}).catch(unavailable).then(function () {
			setBusy(false);
		});
	});
}());
