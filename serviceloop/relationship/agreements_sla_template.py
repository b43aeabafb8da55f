"""The SLA template shipped with ServiceLoop, in Simplified Chinese and English: a short,
practical starting text for a new SLA (the demo's SLAs use it). Placeholders in square
brackets are for the author to fill in. Stored as the simple HTML the agreement text allows.
"""

SLA_TEMPLATE_EN = """\
<h2>1. Purpose</h2>
<p>This agreement records what [Provider] delivers to [Customer], how well, and how both sides
check it. It covers the services listed on this page and nothing else.</p>
<h2>2. Service hours and contacts</h2>
<ul>
<li>Service desk: working days 09:00–18:00 (China Standard Time), by portal, e-mail or phone.</li>
<li>Priority 1 incidents are accepted around the clock by phone.</li>
<li>Each side names a primary contact; the provider names an account manager.</li>
</ul>
<h2>3. Targets</h2>
<p>The measurable targets are listed in the table of this version. Response and resolution
times are counted in business time of the service desk calendar; time spent waiting for the
customer or a third party does not count.</p>
<h2>4. Priorities</h2>
<ul>
<li><strong>P1</strong>: the service is down for many users, no workaround.</li>
<li><strong>P2</strong>: the service is badly degraded, or down for a few users.</li>
<li><strong>P3</strong>: one user or a non-urgent fault, a workaround exists.</li>
<li><strong>P4</strong>: a question or a request.</li>
</ul>
<h2>5. Customer responsibilities</h2>
<p>The customer reports faults through the agreed channels, gives the information asked for,
and is available to confirm a resolution.</p>
<h2>6. Reporting and review</h2>
<p>The provider reports achievement against the targets every month. Both sides review this
agreement at least once a year, and whenever the services change.</p>
<h2>7. Exclusions</h2>
<p>Announced maintenance windows, faults caused by the customer's own equipment, and events
beyond reasonable control are excluded from the targets.</p>
"""

SLA_TEMPLATE_ZH = """\
<h2>一、目的</h2>
<p>本协议记录[服务商]向[客户]提供哪些服务、达到什么水平，以及双方如何检查。协议仅适用于本页列出的服务。</p>
<h2>二、服务时间与联系人</h2>
<ul>
<li>服务台：工作日 09:00–18:00（北京时间），可通过门户、电子邮件或电话联系。</li>
<li>P1 级事件全天候电话受理。</li>
<li>双方各指定一名主要联系人；服务商指定一名客户经理。</li>
</ul>
<h2>三、服务目标</h2>
<p>可量化的目标见本版本的目标表。响应与解决时间按服务台日历的工作时间计算；等待客户或第三方的时间不计入。</p>
<h2>四、优先级</h2>
<ul>
<li><strong>P1</strong>：服务对大量用户中断，且无临时解决办法。</li>
<li><strong>P2</strong>：服务严重降级，或对少数用户中断。</li>
<li><strong>P3</strong>：影响单个用户或非紧急故障，有临时解决办法。</li>
<li><strong>P4</strong>：咨询或服务请求。</li>
</ul>
<h2>五、客户责任</h2>
<p>客户通过约定渠道报告故障，提供所需信息，并配合确认解决结果。</p>
<h2>六、报告与评审</h2>
<p>服务商每月报告目标达成情况。双方至少每年评审一次本协议，服务发生变化时也应评审。</p>
<h2>七、除外情形</h2>
<p>已公告的维护窗口、客户自有设备导致的故障以及不可抗力事件不计入目标考核。</p>
"""

SLA_TEMPLATES = {"en": SLA_TEMPLATE_EN, "zh-hans": SLA_TEMPLATE_ZH}


def sla_template(language: str) -> str:
    """The template in ``language`` (zh-hans or en; anything else gets English)."""
    return SLA_TEMPLATES.get((language or "").lower(), SLA_TEMPLATE_EN)


def sla_template_bilingual() -> str:
    """Both languages, Chinese first, as one text (the demo SLAs are bilingual)."""
    return SLA_TEMPLATE_ZH + "<hr>\n" + SLA_TEMPLATE_EN
