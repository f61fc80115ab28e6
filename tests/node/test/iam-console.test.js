'use strict';
// The console's Access pages in headless Chromium against a real xos: an account's root manages its IAM users, keys,
// groups, roles and policies there, and what the pages did is then checked with aws-sdk v2 signing as the new key;
// the policy editor shows the server's own validation; an IAM user without iam rights neither sees nor can use them.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, bucketName, agent, AWS, ACCESS_KEY, SECRET_KEY } = require('../lib/server');
const { launchBrowser } = require('../lib/browser');
const consolePage = require('../lib/console-page');

const STEP_TIMEOUT = 90000;
const ACME_KEY = 'XOSNODEACMEROOTKEY01';
const ACME_SECRET = 'node-test-acme-secret-00000000000000000000';
let server;
let browser;
let page;
let base;
let bucket;
let acme;
const user = `reader-${process.pid}`;
let created;
let policyArn;

const shot = (name) => consolePage.shot(page, name);
const open = (hash, selector) => consolePage.openPage(page, hash, selector);
const clickText = (selector, text) => consolePage.clickText(page, selector, text);
const confirmDialog = (typed) => consolePage.confirmDialog(page, typed);

async function signIn(accessKey, secretKey) {
  await consolePage.signIn(page, base, accessKey, secretKey);
  await page.waitForSelector('main > [data-ready]');
}

async function signOut() {
  await clickText('button', 'Sign out');
  await page.waitForSelector('input[name=accessKey]');
}

/** Replaces a textarea's text and fires its input event, as typing would. */
async function setText(selector, text) {
  await page.$eval(selector, (t, v) => { t.value = v; t.dispatchEvent(new Event('input', { bubbles: true })); }, text);
}

const alertText = async (selector) => (await page.waitForSelector(selector)).evaluate((e) => e.textContent);

function s3As(accessKeyId, secretAccessKey) {
  return server.client({ credentials: { accessKeyId, secretAccessKey } });
}

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  base = `http://127.0.0.1:${server.port}`;
  // An account of its own (not the server's root): its root is who manages its IAM.
  server.admin('user', 'add', 'acme', '--access-key', ACME_KEY, '--secret-key', ACME_SECRET);
  acme = s3As(ACME_KEY, ACME_SECRET);
  bucket = bucketName('iam-console');
  await acme.createBucket({ Bucket: bucket }).promise();
  await acme.putObject({ Bucket: bucket, Key: 'shared/a.txt', Body: 'shared text' }).promise();
  await acme.putObject({ Bucket: bucket, Key: 'private/b.txt', Body: 'private text' }).promise();
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  page.setDefaultTimeout(20000);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a sign-in renders one page: a late IAM check never replaces a form the user has started to fill', { timeout: STEP_TIMEOUT }, async () => {
  // A sign-in both changes the address and renders; each render once asked IAM whether the key may use it, and the
  // later answer replaced the page the user was typing in. The second check (if any) is held back 3 s here.
  const context = await browser.createBrowserContext(); // its own cookies: the other tests' page stays signed out
  const p = await context.newPage();
  p.setDefaultTimeout(20000);
  let checks = 0;
  await p.setRequestInterception(true);
  p.on('request', (request) => {
    const isCheck = request.method() === 'POST' && (request.postData() || '').includes('Action=ListUsers');
    if (isCheck && ++checks > 1) setTimeout(() => request.continue(), 3000);
    else request.continue();
  });
  try {
    await consolePage.signIn(p, base, ACME_KEY, ACME_SECRET);
    await p.waitForSelector('input[name=bucket]');
    await p.type('input[name=bucket]', 'typed-before-the-late-answer');
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal(await p.$eval('input[name=bucket]', (e) => e.value), 'typed-before-the-late-answer');
    assert.equal(checks, 1, 'the IAM check is asked once a session');
  } finally {
    await context.close();
  }
});

test("an account's root creates an IAM user and a key whose secret is shown once", { timeout: STEP_TIMEOUT }, async () => {
  await signIn(ACME_KEY, ACME_SECRET);
  assert.equal(await page.$eval('[data-iam]', (e) => e.hidden), false, 'the Access area is offered');
  assert.equal(await page.$eval('[data-admin]', (e) => e.hidden), true, 'not the server administration');
  // The pages' IAM requests carry the session's CSRF token; without it the cookie counts for nothing, with a wrong one it is refused.
  const withoutToken = await page.evaluate(async (headers) => {
    const answers = [];
    for (const h of headers) {
      const res = await fetch('/', { method: 'POST', headers: h, body: new URLSearchParams({ Action: 'CreateUser', Version: '2010-05-08', UserName: 'forged' }) });
      answers.push([res.status, new DOMParser().parseFromString(await res.text(), 'application/xml').querySelector('Error > Code').textContent]);
    }
    return answers;
  }, [{}, { 'X-XOS-CSRF': 'not-the-token' }]);
  assert.deepEqual(withoutToken, [[403, 'MissingAuthenticationToken'], [403, 'AccessDenied']]);
  await clickText('a', 'Access');
  await page.waitForSelector('input[name=new-user]');
  await page.type('input[name=new-user]', user);
  await clickText('button', 'Create user');
  await page.waitForSelector(`tr[data-user="${user}"]`);
  await open(`#/access/user/${user}`, 'section[aria-labelledby=keys-title] p.muted');
  await clickText('button', 'Create access key');
  await page.waitForSelector('#new-secret-key');
  created = { accessKeyId: await page.$eval('#new-access-key', (e) => e.value), secretAccessKey: await page.$eval('#new-secret-key', (e) => e.value) };
  assert.match(created.accessKeyId, /^[A-Z0-9]{16,}$/);
  assert.ok(created.secretAccessKey.length >= 30);
  assert.equal(await page.$$eval('dialog[open] .secret-box button', (b) => b.filter((x) => x.textContent === 'Copy').length), 2, 'copy buttons');
  await shot('iam-new-key');
  await clickText('dialog[open] button', 'Done');
  await page.waitForSelector(`tr[data-key="${created.accessKeyId}"]`);
  assert.equal(await page.$eval(`tr[data-key="${created.accessKeyId}"] .badge`, (e) => e.textContent), 'Active');

  // Gone for good: neither the page nor a reload of it shows the secret again.
  assert.equal((await page.content()).includes(created.secretAccessKey), false);
  await page.reload();
  await page.waitForSelector(`tr[data-key="${created.accessKeyId}"]`);
  assert.equal(await page.$('#new-secret-key'), null);
  assert.equal((await page.content()).includes(created.secretAccessKey), false);
  // The key has no rights yet.
  await assert.rejects(s3As(created.accessKeyId, created.secretAccessKey).getObject({ Bucket: bucket, Key: 'shared/a.txt' }).promise(), (e) => e.code === 'AccessDenied');
});

test("a malformed policy shows the server's own message at the field, as the IAM API answers it", { timeout: STEP_TIMEOUT }, async () => {
  const bad = '{"Version": "2012-10-17", "Statement": "not a statement"}';
  const iamClient = new AWS.IAM({ accessKeyId: ACME_KEY, secretAccessKey: ACME_SECRET, endpoint: server.endpoint, region: 'us-east-1', httpOptions: { agent } });
  const refusal = await iamClient.createPolicy({ PolicyName: 'bad', PolicyDocument: bad }).promise().then(() => null, (e) => e);
  assert.equal(refusal?.code, 'MalformedPolicyDocument');
  await open('#/access/policies', 'tr[data-policy=AmazonS3ReadOnlyAccess]');
  assert.match(await page.$eval('tr[data-policy=AmazonS3FullAccess]', (e) => e.textContent), /AWS managed/);
  await page.$eval('details.panel', (d) => { d.open = true; });
  await page.type('input[name=new-policy]', 'bad');
  await setText('textarea[name=policy-document]', bad);
  await clickText('button', 'Create policy');
  const shown = await alertText('.field-error:not([hidden]) [role=alert]');
  assert.equal(shown, `MalformedPolicyDocument${refusal.message}`);
  assert.equal(await page.$eval('textarea[name=policy-document]', (t) => t.getAttribute('aria-invalid')), 'true');
  assert.equal(await page.$eval('textarea[name=policy-document]', (t) => document.getElementById(t.getAttribute('aria-describedby')).textContent), shown);
  await shot('iam-malformed-policy');
  assert.equal(await page.$('tr[data-policy=bad]'), null);
});

test('a policy allowing s3:GetObject on one prefix, attached in the console, lets the key read there and nowhere else', { timeout: STEP_TIMEOUT }, async () => {
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/shared/*` }] });
  await page.$eval('input[name=new-policy]', (i) => { i.value = ''; });
  await page.type('input[name=new-policy]', 'read-shared');
  await setText('textarea[name=policy-document]', policy);
  await clickText('button', 'Create policy');
  await page.waitForSelector('tr[data-policy=read-shared]');
  assert.equal(await page.$eval('.field-error', (e) => e.hidden), true, 'the earlier error is gone');
  const arn = await page.$eval('tr[data-policy=read-shared] .mono', (e) => e.textContent);
  assert.match(arn, /^arn:aws:iam::[0-9a-f]+:policy\/read-shared$/);
  policyArn = arn;

  await open(`#/access/user/${user}`, `select[name=attach-policy] option[value="${arn}"]`);
  await page.select('select[name=attach-policy]', arn);
  await clickText('button', 'Attach policy');
  await page.waitForSelector(`tr[data-attached-policy="${arn}"]`);
  await shot('iam-user');

  const s3 = s3As(created.accessKeyId, created.secretAccessKey);
  assert.equal((await s3.getObject({ Bucket: bucket, Key: 'shared/a.txt' }).promise()).Body.toString(), 'shared text');
  await assert.rejects(s3.getObject({ Bucket: bucket, Key: 'private/b.txt' }).promise(), (e) => e.code === 'AccessDenied');
  await assert.rejects(s3.putObject({ Bucket: bucket, Key: 'shared/c.txt', Body: 'x' }).promise(), (e) => e.code === 'AccessDenied');
  await assert.rejects(s3.listObjectsV2({ Bucket: bucket }).promise(), (e) => e.code === 'AccessDenied');

  // Deactivated in the console, the key signs nothing; activated, it reads again.
  await clickText(`tr[data-key="${created.accessKeyId}"] button`, 'Deactivate');
  await page.waitForFunction((k) => document.querySelector(`tr[data-key="${k}"] .badge`)?.textContent === 'Inactive', {}, created.accessKeyId);
  await assert.rejects(s3.getObject({ Bucket: bucket, Key: 'shared/a.txt' }).promise(), (e) => e.code === 'InvalidAccessKeyId');
  await clickText(`tr[data-key="${created.accessKeyId}"] button`, 'Activate');
  await page.waitForFunction((k) => document.querySelector(`tr[data-key="${k}"] .badge`)?.textContent === 'Active', {}, created.accessKeyId);
  assert.equal((await s3.getObject({ Bucket: bucket, Key: 'shared/a.txt' }).promise()).Body.toString(), 'shared text');
});

test('deleting a user that still has a key shows the conflict readably, and nothing is deleted', { timeout: STEP_TIMEOUT }, async () => {
  await open('#/access/users', `tr[data-user="${user}"]`);
  await clickText(`tr[data-user="${user}"] button`, 'Delete');
  await confirmDialog(user);
  const shown = await alertText('[role=alert]');
  assert.match(shown, new RegExp(`^DeleteConflictThe user ${user} cannot be deleted yet\\. Cannot delete entity, must delete access keys and policies first\\.`));
  await shot('iam-delete-conflict');
  await page.reload();
  await page.waitForSelector(`tr[data-user="${user}"]`);
});

test('groups get members and inline policies; roles get a trust policy checked by the server', { timeout: STEP_TIMEOUT }, async () => {
  await open('#/access/groups', 'input[name=new-group]');
  await page.type('input[name=new-group]', 'readers');
  await clickText('button', 'Create group');
  await page.waitForSelector('tr[data-group=readers]');
  await open('#/access/group/readers', `select[name=add-member] option[value="${user}"]`);
  await clickText('button', 'Add member');
  await page.waitForSelector(`tr[data-member="${user}"]`);
  await page.$eval('section[aria-labelledby=inline-Group] details', (d) => { d.open = true; });
  await page.type('input[name=inline-name]', 'list-bucket');
  await setText('textarea[name=inline-document]', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${bucket}` }] }));
  await clickText('button', 'Save policy');
  await page.waitForSelector('tr[data-inline-policy=list-bucket]');
  // The group's policy is the member's: the key now lists the bucket.
  const listed = await s3As(created.accessKeyId, created.secretAccessKey).listObjectsV2({ Bucket: bucket }).promise();
  assert.deepEqual(listed.Contents.map((o) => o.Key), ['private/b.txt', 'shared/a.txt']);

  await open('#/access/roles', 'textarea[name=trust]');
  await page.$eval('details.panel', (d) => { d.open = true; });
  assert.match(await page.$eval('textarea[name=trust]', (t) => t.value), /"arn:aws:iam::[0-9a-f]+:root"/);
  await page.type('input[name=new-role]', 'auditor');
  await setText('textarea[name=trust]', '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}');
  await clickText('button', 'Create role');
  assert.match(await alertText('.field-error:not([hidden]) [role=alert]'), /^MalformedPolicyDocument/);
  await page.$eval('textarea[name=trust]', (t) => { t.value = ''; });
  await clickText('button', 'Create role');
  assert.match(await alertText('.field-error:not([hidden]) [role=alert]'), /^ValidationError/);
  // A refusal of the name is not the document's: it is shown above the form, and the field is no longer marked.
  await page.$eval('input[name=new-role]', (i) => { i.value = 'not a name'; });
  await clickText('button', 'Create role');
  assert.match(await alertText('form[aria-label^="Trust policy"] > [role=alert]'), /^ValidationError.*roleName/);
  assert.equal(await page.$eval('.field-error', (e) => e.hidden), true);
  await page.$eval('input[name=new-role]', (i) => { i.value = 'auditor'; });
  const account = (await page.evaluate(() => fetch('/_xos/console/api/session').then((r) => r.json()))).canonicalId;
  await setText('textarea[name=trust]', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }] }));
  await clickText('button', 'Create role');
  await page.waitForSelector('tr[data-role=auditor]');
  await open('#/access/role/auditor', 'textarea[name=trust]');
  assert.match(await page.$eval('textarea[name=trust]', (t) => t.value), /sts:AssumeRole/);
  await shot('iam-role');
});

test('a new policy version from the editor takes effect; the old one is made the default again; an attached policy cannot be deleted', { timeout: STEP_TIMEOUT }, async () => {
  const s3 = s3As(created.accessKeyId, created.secretAccessKey);
  await open(`#/access/policy/${encodeURIComponent(policyArn)}`, 'tr[data-version=v1] .badge.on');
  assert.match(await page.$eval('textarea[name=version-document]', (t) => t.value), /shared\/\*/);
  await setText('textarea[name=version-document]', '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}]}');
  await clickText('button', 'Save as a new version');
  assert.match(await alertText('.field-error:not([hidden]) [role=alert]'), /^MalformedPolicyDocument/);
  assert.equal(await page.$('tr[data-version=v2]'), null);
  await setText('textarea[name=version-document]', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: [`arn:aws:s3:::${bucket}/shared/*`, `arn:aws:s3:::${bucket}/private/*`] }] }));
  await clickText('button', 'Save as a new version');
  await page.waitForSelector('tr[data-version=v2] .badge.on');
  assert.equal(await page.$('.field-error:not([hidden])'), null);
  assert.match(await page.$eval('pre[data-document]', (e) => e.textContent), /private/);
  assert.equal((await s3.getObject({ Bucket: bucket, Key: 'private/b.txt' }).promise()).Body.toString(), 'private text');
  await shot('iam-policy');

  await clickText('tr[data-version=v1] button', 'Make default');
  await page.waitForSelector('tr[data-version=v1] .badge.on');
  await assert.rejects(s3.getObject({ Bucket: bucket, Key: 'private/b.txt' }).promise(), (e) => e.code === 'AccessDenied');
  await clickText('tr[data-version=v2] button', 'Delete');
  await confirmDialog();
  await page.waitForFunction(() => !document.querySelector('tr[data-version=v2]'));

  await open('#/access/policies', 'tr[data-policy=read-shared]');
  assert.equal(await page.$eval('tr[data-policy=read-shared] td.num', (e) => e.textContent), '1');
  assert.equal(await page.$('tr[data-policy=AmazonS3ReadOnlyAccess] button'), null, "AWS's policies cannot be deleted");
  await clickText('tr[data-policy=read-shared] button', 'Delete');
  await confirmDialog('read-shared');
  assert.match(await alertText('[role=alert]'), /^DeleteConflictThe policy read-shared cannot be deleted yet\. Cannot delete a policy attached to entities/);
});

test('an IAM user without iam rights sees no Access pages and is refused by them', { timeout: STEP_TIMEOUT }, async () => {
  await signOut();
  await signIn(created.accessKeyId, created.secretAccessKey);
  assert.equal(await page.$eval('[data-iam]', (e) => e.hidden), true, 'no Access area offered');
  await open('#/access/users', '[role=alert]');
  assert.match(await page.$eval('[role=alert]', (e) => e.textContent), new RegExp(`^AccessDeniedUser: arn:aws:iam::[0-9a-f]+:user/${user} is not authorized to perform: iam:ListUsers`));
  assert.equal(await page.$('input[name=new-user]'), null);
  await open('#/access/policies', '[role=alert]');
  assert.match(await page.$eval('[role=alert]', (e) => e.textContent), /^AccessDenied.*iam:ListPolicies/);
  await open(`#/access/user/${user}`, '[role=alert]');
  assert.match(await page.$eval('[role=alert]', (e) => e.textContent), /^AccessDenied.*iam:GetUser/);
  await signOut();
});

test("an IAM user given IAMReadOnlyAccess sees the Access pages but may change nothing; another account sees none of this one's", { timeout: STEP_TIMEOUT }, async () => {
  const readOnly = 'arn:aws:iam::aws:policy/IAMReadOnlyAccess';
  await signIn(ACME_KEY, ACME_SECRET);
  await open(`#/access/user/${user}`, `select[name=attach-policy] option[value="${readOnly}"]`);
  await page.select('select[name=attach-policy]', readOnly);
  await clickText('button', 'Attach policy');
  await page.waitForSelector(`tr[data-attached-policy="${readOnly}"]`);
  await signOut();

  await signIn(created.accessKeyId, created.secretAccessKey);
  assert.equal(await page.$eval('[data-iam]', (e) => e.hidden), false, 'the Access area is offered');
  await open('#/access/users', `tr[data-user="${user}"]`);
  await page.type('input[name=new-user]', 'intruder');
  await clickText('button', 'Create user');
  assert.match(await alertText('form[aria-label="Create a user"] [role=alert]'), /^AccessDenied.*iam:CreateUser/);
  assert.equal(await page.$('tr[data-user=intruder]'), null);
  await signOut();

  await signIn(ACCESS_KEY, SECRET_KEY);
  await open('#/access/users', 'input[name=new-user]');
  assert.equal(await page.$(`tr[data-user="${user}"]`), null, "the server root's account has its own IAM users");
  await open('#/access/groups', 'input[name=new-group]');
  assert.equal(await page.$('tr[data-group=readers]'), null);
  await signOut();
});

test('the Access pages fit a phone in dark mode, with every control labelled', { timeout: STEP_TIMEOUT }, async () => {
  await signIn(ACME_KEY, ACME_SECRET);
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await page.setViewport({ width: 375, height: 740 });
  for (const [name, hash, selector] of [['users', '#/access/users', `tr[data-user="${user}"]`], ['user', `#/access/user/${user}`, 'tr[data-key]'],
    ['groups', '#/access/groups', 'tr[data-group]'], ['group', '#/access/group/readers', 'tr[data-member]'], ['roles', '#/access/roles', 'tr[data-role]'],
    ['role', '#/access/role/auditor', 'textarea[name=trust]'], ['policies', '#/access/policies', 'tr[data-policy]'],
    ['policy', `#/access/policy/${encodeURIComponent(policyArn)}`, 'tr[data-version]']]) {
    await open(hash, selector);
    const { width, unlabelled } = await consolePage.layoutProblems(page);
    assert.ok(width <= 375, `${hash} is ${width}px wide`);
    assert.deepEqual(unlabelled, [], `unlabelled controls on ${hash}`);
    await shot(`phone-dark-access-${name}`);
  }
});

test('what a user depends on is removed in the console, then the user, its group, the role and the policy are deleted', { timeout: STEP_TIMEOUT }, async () => {
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  await page.setViewport({ width: 1280, height: 860 });
  await open(`#/access/user/${user}`, 'tr[data-group=readers]');
  await clickText('tr[data-group=readers] button', 'Leave');
  await page.waitForFunction(() => !document.querySelector('tr[data-group=readers]'));
  for (const arn of [policyArn, 'arn:aws:iam::aws:policy/IAMReadOnlyAccess']) {
    await clickText(`tr[data-attached-policy="${arn}"] button`, 'Detach');
    await page.waitForFunction((a) => !document.querySelector(`tr[data-attached-policy="${a}"]`), {}, arn);
  }
  await clickText(`tr[data-key="${created.accessKeyId}"] button`, 'Delete');
  await confirmDialog();
  await page.waitForSelector('section[aria-labelledby=keys-title] p.muted');
  await page.waitForFunction(() => !document.querySelector('tr[data-key]'));
  await assert.rejects(s3As(created.accessKeyId, created.secretAccessKey).getObject({ Bucket: bucket, Key: 'shared/a.txt' }).promise(), (e) => e.code === 'InvalidAccessKeyId');
  await deleteFromItsPage('user', user, '#/access/users', 'input[name=new-user]');
  assert.equal(await page.$(`tr[data-user="${user}"]`), null);

  await open('#/access/role/auditor', 'textarea[name=trust]');
  await setText('textarea[name=trust]', '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123:root"}}]}');
  await clickText('button', 'Save trust policy');
  assert.match(await alertText('.field-error:not([hidden]) [role=alert]'), /^MalformedPolicyDocument/);
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${(await acmeIdentity()).Account}:user/${user}` }, Action: 'sts:AssumeRole' }] });
  await setText('textarea[name=trust]', trust);
  await clickText('button', 'Save trust policy');
  // Its own notice: an earlier one (the user's deletion) may still be on screen.
  await page.waitForFunction(() => Array.from(document.querySelectorAll('.toast')).some((t) => t.textContent === 'Trust policy saved'));
  assert.equal(await page.$eval('.field-error', (e) => e.hidden), true);
  await page.reload();
  await page.waitForSelector('main > [data-ready] textarea[name=trust]');
  assert.deepEqual(JSON.parse(await page.$eval('textarea[name=trust]', (t) => t.value)), JSON.parse(trust));
  await deleteFromItsPage('role', 'auditor', '#/access/roles', 'textarea[name=trust]');
  assert.equal(await page.$('tr[data-role=auditor]'), null);

  await open('#/access/group/readers', 'tr[data-inline-policy=list-bucket]');
  await clickText('button', 'Delete group');
  await confirmDialog('readers');
  assert.match(await alertText('[role=alert]'), /^DeleteConflictThe group readers cannot be deleted yet\. Cannot delete entity, must remove users from group and delete policies first\./);
  await clickText('tr[data-inline-policy=list-bucket] button', 'Delete');
  await confirmDialog();
  await page.waitForFunction(() => !document.querySelector('tr[data-inline-policy]'));
  await deleteFromItsPage('group', 'readers', '#/access/groups', 'input[name=new-group]');
  assert.equal(await page.$('tr[data-group=readers]'), null);

  await open('#/access/policies', 'tr[data-policy=read-shared]');
  assert.equal(await page.$eval('tr[data-policy=read-shared] td.num', (e) => e.textContent), '0');
  await clickText('tr[data-policy=read-shared] button', 'Delete');
  await confirmDialog('read-shared');
  await page.waitForFunction(() => !document.querySelector('tr[data-policy=read-shared]'));
  const iamClient = new AWS.IAM({ accessKeyId: ACME_KEY, secretAccessKey: ACME_SECRET, endpoint: server.endpoint, region: 'us-east-1', httpOptions: { agent } });
  const left = await Promise.all([iamClient.listUsers().promise(), iamClient.listGroups().promise(), iamClient.listRoles().promise(), iamClient.listPolicies({ Scope: 'Local' }).promise()]);
  assert.deepEqual(left.map((r) => (r.Users || r.Groups || r.Roles || r.Policies).length), [0, 0, 0, 0]);
});

/** Deletes the user, group or role whose page is open (typing its name to confirm) and waits for the list it goes back to. */
async function deleteFromItsPage(label, name, listHash, listSelector) {
  await clickText('button', `Delete ${label}`);
  await confirmDialog(name);
  await page.waitForFunction((h) => location.hash === h, {}, listHash);
  await page.waitForSelector(`main > [data-ready] ${listSelector}`);
}

async function acmeIdentity() {
  return new AWS.STS({ accessKeyId: ACME_KEY, secretAccessKey: ACME_SECRET, endpoint: server.endpoint, region: 'us-east-1', httpOptions: { agent } }).getCallerIdentity().promise();
}
